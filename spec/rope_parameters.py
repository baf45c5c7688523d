"""The scaling vocabulary: Hugging Face ``rope_parameters`` dicts, validated and normalised.

``scaling=`` of ``rope_frequencies``/``rope_apply`` is ``None`` (plain RoPE) or a dict with a
``rope_type`` and that type's keys. Hugging Face's names are kept; ``"ntk"``, the ``"seed_*"``
maps and ``"reverse_extrapolation"`` are this suite's additions (documented in the README):

=========================  =================================================================================
rope_type                  keys (default)
=========================  =================================================================================
``default``                —
``linear``                 factor
``ntk``                    factor
``dynamic``                factor, original_max_position_embeddings
``yarn``                   factor, original_max_position_embeddings, beta_fast (32), beta_slow (1),
                           mscale, mscale_all_dim, attention_factor, truncate (True), ramp ("index" | "paper")
``llama3``                 factor, original_max_position_embeddings, low_freq_factor, high_freq_factor
``longrope``               factor, original_max_position_embeddings, short_factor, long_factor, attention_factor
``seed_scale``             alpha                      θ' = α·θ               (seed notes 003)
``seed_power``             alpha                      θ' = θ^(1/α)           (seed notes 003)
``seed_polynomial``        alpha, beta                θ' = θ·(1 + α(i/d)^β)  (seed notes 003; i = pair index)
``reverse_extrapolation``  original_max_position_embeddings   positions compressed into [0, L0) once
                           seq_len > L0: θ' = θ·L0/seq_len (seed notes 004)
=========================  =================================================================================

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
    "yarn": {
        "factor": REQUIRED, "original_max_position_embeddings": REQUIRED, "beta_fast": 32.0, "beta_slow": 1.0,
        "mscale": None, "mscale_all_dim": None, "attention_factor": None, "truncate": True, "ramp": "index",
    },
    "llama3": {"factor": REQUIRED, "original_max_position_embeddings": REQUIRED, "low_freq_factor": REQUIRED,
               "high_freq_factor": REQUIRED},
    "longrope": {"factor": REQUIRED, "original_max_position_embeddings": REQUIRED, "short_factor": REQUIRED,
                 "long_factor": REQUIRED, "attention_factor": None},
    "seed_scale": {"alpha": REQUIRED},
    "seed_power": {"alpha": REQUIRED},
    "seed_polynomial": {"alpha": REQUIRED, "beta": REQUIRED},
    "reverse_extrapolation": {"original_max_position_embeddings": REQUIRED},
}
#: Scalers whose base exponent d/(d−2) needs rotary_dim ≥ 4.
NEEDS_FOUR_DIMS = ("ntk", "dynamic")


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
    if key in ("factor", "beta_fast", "beta_slow", "low_freq_factor", "high_freq_factor", "alpha", "beta"):
        return _positive(key, value)
    if key in ("mscale", "mscale_all_dim"):
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


def normalise(scaling, rotary_dim: int, seq_len):
    """``None``, or a new dict with every key of its rope_type (defaults filled in), checked."""
    if seq_len is not None:
        validation.integer("seq_len", seq_len, minimum=1)
    if scaling is None:
        return None
    if not isinstance(scaling, dict):
        raise TypeError(f"scaling must be None or a dict in the rope_parameters vocabulary, got {type(scaling).__name__}")
    rope_type = scaling.get("rope_type")
    if rope_type not in ROPE_TYPES:
        raise ValueError(f"scaling['rope_type'] must be one of {tuple(ROPE_TYPES)}, got {rope_type!r}")
    schema = ROPE_TYPES[rope_type]
    unknown = sorted(set(scaling) - set(schema) - {"rope_type"})
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
    if rope_type == "yarn" and not config["beta_fast"] > config["beta_slow"]:
        raise ValueError(f"scaling['beta_fast'] must be > scaling['beta_slow'] = {config['beta_slow']}, got {config['beta_fast']}")
    if rope_type == "llama3" and not config["low_freq_factor"] < config["high_freq_factor"]:
        raise ValueError(
            f"scaling['low_freq_factor'] must be < scaling['high_freq_factor'] = {config['high_freq_factor']}, "
            f"got {config['low_freq_factor']}"
        )
    if rope_type in NEEDS_FOUR_DIMS and rotary_dim < 4:
        raise ValueError(f"rotary_dim must be >= 4 for rope_type {rope_type!r} (the base exponent is d/(d−2)), got {rotary_dim}")
    return config
