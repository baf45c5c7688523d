"""The scaling vocabulary: Hugging Face ``rope_parameters`` dicts, validated and normalised.

``scaling=`` of ``rope_frequencies``/``rope_apply`` is ``None`` (plain RoPE) or a dict with a
``rope_type`` and that type's keys. Hugging Face's names are kept; ``"ntk"``, the ``"seed_*"``
maps, ``"reverse_extrapolation"`` and YaRN's ``ramp`` are this suite's additions (:data:`EXTENSIONS`):
a target is checked on them only when it declares them (``EXTENSIONS`` in ``spec.protocol``).

=========================  =================================================================================
rope_type                  keys (default)
=========================  =================================================================================
``default``                —
``linear``                 factor
``ntk``                    factor
``dynamic``                factor, original_max_position_embeddings
``ntk_alpha``              alpha, factor (1)          HunYuan's fixed-alpha NTK: b' = b·α^(d/(d−2)) at every length;
                           shipped as ``{"type": "dynamic", "alpha": α}`` (read as ntk_alpha, as Hugging Face's
                           HunYuan modules do); only factor 1 is accepted, since they ignore it
``yarn``                   factor, original_max_position_embeddings, beta_fast (32), beta_slow (1),
                           mscale, mscale_all_dim, attention_factor, truncate (True), ramp ("index" | "paper"),
                           llama_4_scaling_beta (Ministral 3's query temperature, ``attention_scale`` only)
``llama3``                 factor, original_max_position_embeddings, low_freq_factor, high_freq_factor
``longrope``               factor, original_max_position_embeddings, short_factor, long_factor, attention_factor
``proportional``           partial_rotary_factor (1), factor (1)   Gemma 4: θ'_j = θ_j/s for j < R =
                           int(p·d // 2), 0 beyond — the R highest frequencies of the whole head, not a
                           partial rotary's compressed spectrum
``seed_scale``             alpha                      θ' = α·θ               (seed notes 003)
``seed_power``             alpha                      θ' = θ^(1/α)           (seed notes 003)
``seed_polynomial``        alpha, beta                θ' = θ·(1 + α(i/d)^β)  (seed notes 003; i = pair index)
``reverse_extrapolation``  original_max_position_embeddings   positions compressed into [0, L0) once
                           seq_len > L0: θ' = θ·L0/seq_len (seed notes 004)
=========================  =================================================================================

Multi-axis RoPE (M-RoPE, Qwen2-VL … Qwen3-VL) adds two keys to *every* rope_type: ``mrope_section``
``[s_t, s_h, s_w]`` (Σ = rotary_dim/2) assigns each frequency pair to one row of positions ``[3, seq]`` —
chunked (``mrope_interleaved`` False, the default: the first s_t pairs follow t, the next s_h h, the rest
w) or interleaved (True, Qwen3-VL: pair j follows h if j % 3 = 1 and j < 3·s_h, w if j % 3 = 2 and
j < 3·s_w, t otherwise). Ernie-4.5-VL's map is this suite's extension key ``mrope_hw_alternating`` (True: the
section reads [s_h, s_w, s_t] as Ernie's configs ship it, s_h = s_w; the first s_h + s_w pairs alternate h, w —
even j → h, odd j → w — and the last s_t, the lowest frequencies, follow t). :func:`mrope_axes` is the map.

``llama3`` with ``low_freq_factor == high_freq_factor`` (Llama-4-Scout ships 1.0 and 1.0) has no blend
band: θ/s where λ > L0/low, θ elsewhere. Shipped configs' legacy spellings are accepted: ``"type"`` for
``"rope_type"`` (Hugging Face before 4.45) and ``"su"`` for ``"longrope"`` (Phi-3, April 2024).

Every error is a ``ValueError`` or ``TypeError`` naming ``scaling['key']`` and the allowed range.
Unknown keys are errors too: a silently ignored key is a wrong answer.
"""

from __future__ import annotations

import math
import numbers

from spec import validation

REQUIRED = object()

ROPE_TYPES: dict[str, dict[str, object]] = {
    "default": {},
    "linear": {"factor": REQUIRED},
    "ntk": {"factor": REQUIRED},
    "dynamic": {"factor": REQUIRED, "original_max_position_embeddings": REQUIRED},
    "ntk_alpha": {"alpha": REQUIRED, "factor": 1.0},
    "yarn": {
        "factor": REQUIRED, "original_max_position_embeddings": REQUIRED, "beta_fast": 32.0, "beta_slow": 1.0,
        "mscale": None, "mscale_all_dim": None, "attention_factor": None, "truncate": True, "ramp": "index",
        "llama_4_scaling_beta": None,
    },
    "llama3": {"factor": REQUIRED, "original_max_position_embeddings": REQUIRED, "low_freq_factor": REQUIRED,
               "high_freq_factor": REQUIRED},
    "longrope": {"factor": REQUIRED, "original_max_position_embeddings": REQUIRED, "short_factor": REQUIRED,
                 "long_factor": REQUIRED, "attention_factor": None},
    "proportional": {"partial_rotary_factor": 1.0, "factor": 1.0},
    "seed_scale": {"alpha": REQUIRED},
    "seed_power": {"alpha": REQUIRED},
    "seed_polynomial": {"alpha": REQUIRED, "beta": REQUIRED},
    "reverse_extrapolation": {"original_max_position_embeddings": REQUIRED},
}
#: The suite's additions to Hugging Face's vocabulary: rope_types by name, keys as "rope_type.key". A target
#: is checked on an extension only when its ``EXTENSIONS`` declares it (an undeclared one is "not provided").
EXTENSIONS = ("ntk", "seed_scale", "seed_power", "seed_polynomial", "reverse_extrapolation", "yarn.ramp",
              "mrope_hw_alternating")
#: Keys every rope_type accepts: the axis assignment of multi-axis RoPE (M-RoPE), independent of the frequencies.
AXIS_KEYS = {"mrope_section": None, "mrope_interleaved": False, "mrope_hw_alternating": False}
#: Legacy rope_type names found in shipped configs → their current name.
LEGACY_ROPE_TYPES = {"su": "longrope"}


def optional_keys(rope_type: str) -> tuple[str, ...]:
    """The keys of ``rope_type`` that may be absent (their default applies)."""
    return tuple(key for key, default in ROPE_TYPES[rope_type].items() if default is not REQUIRED)


def extension_keys(rope_type: str) -> tuple[str, ...]:
    """The keys of ``rope_type`` that are this suite's additions."""
    return tuple(name.split(".", 1)[1] for name in EXTENSIONS if name.startswith(f"{rope_type}."))


def mrope_axes(section, interleaved: bool, pairs: int, hw_alternating: bool = False) -> tuple[int, ...]:
    """The position row (0 = t, 1 = h, 2 = w) each of ``pairs`` frequency pairs follows (module docstring).

    Interleaved counts equal ``section`` only when 3·max(s_h, s_w) ≤ pairs (``proofs.mrope.interleaved_counts``).
    ``hw_alternating`` (Ernie-4.5-VL): ``section`` is [s_h, s_w, s_t].
    """
    if hw_alternating:
        hw = section[0] + section[1]
        return tuple(0 if j >= hw else 1 + j % 2 for j in range(pairs))
    s_t, s_h, s_w = section
    if not interleaved:
        return (0,) * s_t + (1,) * s_h + (2,) * (pairs - s_t - s_h)
    return tuple(1 if j % 3 == 1 and j < 3 * s_h else 2 if j % 3 == 2 and j < 3 * s_w else 0 for j in range(pairs))


def axis_map(config, pairs: int) -> tuple[int, ...] | None:
    """The row each pair follows for a normalised ``config`` (:func:`mrope_axes`), or None for one row of positions."""
    if config is None or config.get("mrope_section") is None:
        return None
    return mrope_axes(config["mrope_section"], config["mrope_interleaved"], pairs, config["mrope_hw_alternating"])


def proportional_pairs(partial_rotary_factor: float, dim: int) -> int:
    """R = int(p·d // 2), the pairs ``proportional`` rotates (Hugging Face's float expression, which defines it)."""
    return int(partial_rotary_factor * dim // 2)


#: Scalers whose base exponent d/(d−2) needs rotary_dim ≥ 4.
NEEDS_FOUR_DIMS = ("ntk", "dynamic", "ntk_alpha")


def _positive(key, value, *, allow_zero=False, name=None):
    name = name or f"scaling[{key!r}]"
    bound = ">= 0" if allow_zero else "> 0"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a finite number {bound}, got {value!r}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be a finite number {bound}, got {value}")
    return float(value)


def _factor_list(key, value, pairs):
    name = f"scaling[{key!r}]"
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be a list of {pairs} finite numbers > 0 (rotary_dim // 2), got {value!r}")
    if len(value) != pairs:
        raise ValueError(f"{name} must have length rotary_dim // 2 = {pairs}, got {len(value)}")
    return tuple(_positive(key, v, name=f"{name}[{i}]") for i, v in enumerate(value))


def _check(key, value, pairs):
    if key == "partial_rotary_factor":
        value = _positive(key, value)
        if value > 1:
            raise ValueError(f"scaling['partial_rotary_factor'] must be a finite number in (0, 1], got {value}")
        return value
    if key in ("factor", "beta_fast", "beta_slow", "low_freq_factor", "high_freq_factor", "alpha", "beta"):
        return _positive(key, value)
    if key in ("mscale", "mscale_all_dim", "llama_4_scaling_beta"):
        return None if value is None else _positive(key, value, allow_zero=True)
    if key == "attention_factor":
        return None if value is None else _positive(key, value)
    if key == "original_max_position_embeddings":
        return validation.integer(f"scaling[{key!r}]", value, minimum=1)
    if key == "truncate":
        if not isinstance(value, bool):
            raise TypeError(f"scaling['truncate'] must be a bool, got {value!r}")
        return value
    if key == "ramp":
        if value not in ("index", "paper"):
            raise ValueError(f"scaling['ramp'] must be 'index' (Hugging Face) or 'paper' (YaRN paper), got {value!r}")
        return value
    return _factor_list(key, value, pairs)  # short_factor, long_factor


def _rope_type(scaling: dict) -> str:
    """The rope_type, from ``rope_type`` or its legacy spelling ``type`` (both present: they must agree)."""
    names = {key: scaling[key] for key in ("rope_type", "type") if key in scaling}
    if len(names) == 2 and names["rope_type"] != names["type"]:
        raise ValueError(f"scaling['type'] (the legacy spelling of 'rope_type') = {names['type']!r} contradicts "
                         f"scaling['rope_type'] = {names['rope_type']!r}")
    rope_type = names.get("rope_type", names.get("type"))
    rope_type = LEGACY_ROPE_TYPES.get(rope_type, rope_type) if isinstance(rope_type, str) else rope_type
    if not isinstance(rope_type, str) or rope_type not in ROPE_TYPES:
        key = "rope_type" if "rope_type" in scaling or "type" not in scaling else "type"
        raise ValueError(f"scaling[{key!r}] must be one of {tuple(ROPE_TYPES)} (or a legacy name: "
                         f"{tuple(LEGACY_ROPE_TYPES)}), got {rope_type!r}")
    return rope_type


def normalise(scaling, rotary_dim: int, seq_len):
    """``None``, or a new dict with every key of its rope_type (defaults filled in), checked."""
    if seq_len is not None:
        validation.integer("seq_len", seq_len, minimum=1)
    if scaling is None:
        return None
    if not isinstance(scaling, dict):
        raise TypeError(f"scaling must be None or a dict in the rope_parameters vocabulary, got {type(scaling).__name__}")
    rope_type = _rope_type(scaling)
    if rope_type == "dynamic" and scaling.get("alpha") is not None:  # HunYuan's checkpoints: fixed alpha
        rope_type = "ntk_alpha"
    schema = ROPE_TYPES[rope_type]
    unknown = sorted(set(scaling) - set(schema) - set(AXIS_KEYS) - {"rope_type", "type"})
    if unknown:
        raise ValueError(f"scaling[{unknown[0]!r}] is not a key of rope_type {rope_type!r}; allowed: {sorted(schema)}")
    config = {"rope_type": rope_type}
    for key, default in schema.items():
        if key not in scaling or scaling[key] is None and default is REQUIRED:
            if default is REQUIRED:
                raise ValueError(f"scaling[{key!r}] is required for rope_type {rope_type!r}")
            config[key] = default
        else:
            config[key] = _check(key, scaling[key], rotary_dim // 2)
    config.update(_axis_keys(scaling, rotary_dim // 2))
    if rope_type == "yarn" and not config["beta_fast"] > config["beta_slow"]:
        raise ValueError(f"scaling['beta_fast'] must be > scaling['beta_slow'] = {config['beta_slow']}, got {config['beta_fast']}")
    if rope_type == "ntk_alpha" and config["factor"] != 1:
        raise ValueError(f"scaling['factor'] must be 1 for a fixed-alpha NTK (HunYuan's modules ignore it), got {config['factor']}")
    if rope_type == "llama3" and not config["low_freq_factor"] <= config["high_freq_factor"]:
        raise ValueError(
            f"scaling['low_freq_factor'] must be <= scaling['high_freq_factor'] = {config['high_freq_factor']}, "
            f"got {config['low_freq_factor']}"
        )
    if rope_type in NEEDS_FOUR_DIMS and rotary_dim < 4:
        raise ValueError(f"rotary_dim must be >= 4 for rope_type {rope_type!r} (the base exponent is d/(d−2)), got {rotary_dim}")
    return config


def _axis_keys(scaling: dict, pairs: int) -> dict:
    """``mrope_section`` (None, or three integers ≥ 0 summing to ``pairs``), ``mrope_interleaved`` and
    ``mrope_hw_alternating`` (bools, not both True; the latter with s_h = s_w)."""
    section, interleaved = scaling.get("mrope_section"), scaling.get("mrope_interleaved", False)
    alternating = scaling.get("mrope_hw_alternating", False)
    for key, value in (("mrope_interleaved", interleaved), ("mrope_hw_alternating", alternating)):
        if not isinstance(value, bool):
            raise TypeError(f"scaling[{key!r}] must be a bool, got {value!r}")
    if interleaved and alternating:
        raise ValueError("scaling['mrope_hw_alternating'] must be False when scaling['mrope_interleaved'] is True "
                         "(Ernie-4.5-VL's map and Qwen3-VL's are different maps)")
    if section is None:
        return {"mrope_section": None, "mrope_interleaved": interleaved, "mrope_hw_alternating": alternating}
    if isinstance(section, (str, bytes)) or not hasattr(section, "__len__") or len(section) != 3 or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0 for v in section):
        raise TypeError(f"scaling['mrope_section'] must be three integers >= 0 [s_t, s_h, s_w], got {section!r}")
    if sum(section) != pairs:
        raise ValueError(f"scaling['mrope_section'] must sum to rotary_dim // 2 = {pairs}, got {list(section)} "
                         f"(sum {sum(section)})")
    if alternating and section[0] != section[1]:
        raise ValueError(f"scaling['mrope_section'] must be [s_h, s_w, s_t] with s_h = s_w when "
                         f"scaling['mrope_hw_alternating'] is True (h and w alternate), got {list(section)}")
    return {"mrope_section": tuple(int(v) for v in section), "mrope_interleaved": interleaved,
            "mrope_hw_alternating": alternating}


#: Keys of Hugging Face's v5 ``rope_parameters`` that are not scaling keys: the protocol passes them as
#: ``base`` and ``rotary_dim``.
_NOT_SCALING = ("rope_theta", "partial_rotary_factor")


def from_config(config: dict) -> dict | None:
    """The scaling dict of a model's ``config.json``, completed from its top-level keys as Hugging Face does.

    Shipped ``rope_scaling`` dicts leave keys to the rest of the config: dynamic NTK takes its original
    length from ``max_position_embeddings`` (InternLM2); llama3, yarn and longrope take
    ``original_max_position_embeddings`` from the top level when the config has one there (Phi-3), else
    from ``max_position_embeddings``; a longrope or yarn ``factor`` left out is
    ``max_position_embeddings / original_max_position_embeddings``; a dynamic one with an ``alpha`` is HunYuan's
    fixed-alpha NTK, whose modules read ``alpha`` alone (the YaRN keys HunYuan-7B ships beside it are dropped).
    ``None`` for plain RoPE.
    """
    shipped = config.get("rope_parameters") or config.get("rope_scaling")
    if not shipped:
        return None
    if not isinstance(shipped, dict):
        raise TypeError(f"rope_scaling must be a dict in the rope_parameters vocabulary, got {type(shipped).__name__}")
    scaling = {key: value for key, value in shipped.items() if key not in _NOT_SCALING}
    rope_type = _rope_type({"rope_type": "default", **scaling} if "type" not in scaling else scaling)
    scaling.pop("type", None)
    scaling["rope_type"] = rope_type
    if rope_type == "default":
        return None if len(scaling) == 1 else scaling
    if rope_type == "dynamic" and scaling.get("alpha") is not None:  # HunYuan: its modules read alpha alone
        return {"rope_type": "ntk_alpha", **{key: scaling[key] for key in ("alpha", "factor") if key in scaling}}
    longest = config.get("max_position_embeddings")
    if rope_type == "dynamic" and longest is not None:
        scaling.setdefault("original_max_position_embeddings", longest)
    if rope_type in ("llama3", "yarn", "longrope"):
        if config.get("original_max_position_embeddings") is not None:
            scaling["original_max_position_embeddings"] = config["original_max_position_embeddings"]
        elif longest is not None:
            scaling.setdefault("original_max_position_embeddings", longest)
    if rope_type in ("yarn", "longrope") and scaling.get("factor") is None and longest is not None:
        scaling["factor"] = longest / scaling["original_max_position_embeddings"]
    return scaling
