r"""Diagnosers of ``rope_apply`` and ``rope_frequencies``: what a failing target computes instead.

Each diagnoser calls the target again on a deterministic probe of the failing configuration (same base,
layout, rotary_dim, head_dim, scaling, seq_len and dtype): ``rope_apply`` on x ``[1, P, head_dim]`` from a
fixed-seed normal generator (exact in the dtype) at :data:`PROBE_POSITIONS` (those past the target's
``MAX_POSITION`` left out), ``rope_frequencies`` on the failing call itself. If the result matches the oracle
the failure depends on the drawn case; otherwise the hypotheses below are tried in this order, each
predicting the whole output, and the first that explains every entry is the diagnosis (none: unexplained).
A semantic hypothesis the oracle's own output would pass as is skipped: it cannot explain a departure from
the oracle. A constant read off the output (k, b̂, c) is tried rounded to 1 … 8 significant digits, then raw,
and never when it equals the asked value to 8 digits (a rounding difference, not another constant).

Tolerances all come from ``spec.error_model``. A *semantic* hypothesis is judged by the oracle's error model
evaluated for the hypothesis's own map (its θ', attention factor, κ, positions and pairs) times
:data:`SLACK` = 2: the prediction is itself a float64 evaluation carrying up to one error model of its own,
so the two bounds add. A *precision* hypothesis predicts the oracle's output and adds the one error source
it names, ``SAFETY``·af·(|x₁|+|x₂|)·e with e = u(t)·(|mθ|(κ+2) + 2) for angles in t (κ the map's own for
float32 — the error model's angle dtype of non-float64 results — and 1 for float16/bfloat16: θ, m and m·θ
*held* in t, each rounded once; angles recomputed in half precision would excuse several per cent of
frequency error, as much as some semantic bugs make), e = u(t) for cos/sin rounded to t, and for
``rope_frequencies`` θ within ``frequency_error`` at u(t) *and* representable in t. Precision hypotheses
come after every semantic one, and the small probe positions keep their tolerances tight, so an offset or a
wrong direction is never passed off as a precision limit.

====================  =============================================================================  ==========
id                    the target computes                                                            verdict
====================  =============================================================================  ==========
other layout          the other pairing: (2i, 2i+1) for "half", (i, i + d/2) for "interleaved"       semantic
opposite direction    R(m)ᵀx = R(−m)x                                                                semantic
no negation           rotate_half without its minus sign: x·cos + swap(x)·sin (not a rotation)       semantic
position offset       R(m + k)x, k read off the phases at position 0                                 semantic
positions ignored     R(j)x with j = 0 … seq−1, the row index, instead of the given positions        semantic
rotary_dim ignored    every dim rotated, frequencies over head_dim                                   semantic
head_dim exponent     θ_i = b^(−2i/head_dim) instead of b^(−2i/rotary_dim)                            semantic
pass-through touched  the rotary dims right, the dims past rotary_dim changed                         semantic
scaling ignored       plain RoPE (θ = b^(−2i/d), attention factor 1) for a scaled config             semantic
attention factor      the asked θ' with attention factor 1 (dropped) or af² (squared)                semantic
other key values      the asked rope_type with a key misread: factor or alpha inverted, truncate or  semantic
                      ramp flipped, beta_fast/beta_slow or low/high_freq_factor swapped (or an
                      absent one given its partner's default), mscale/mscale_all_dim or any given
                      optional key ignored (its default), seq_len ignored, off by one or factor·L0
ntk exponent          ntk/dynamic base b·g instead of b·g^(d/(d−2))                                  semantic
applied below L0      dynamic with L = seq_len < L0, reverse_extrapolation compressing, or longrope   semantic
                      using long_factor, at seq_len ≤ L0
no smoothing          llama3 switching from θ to θ/s at one edge of its blend band                   semantic
inverted ramp         yarn θ/s·(1−γ) + θ·γ instead of θ/s·γ + θ·(1−γ)                                semantic
other rope_type       the map of another rope_type built from the keys the config has                semantic
other base            plain RoPE with base b̂ (read off the lowest frequency, rounded, verified)     semantic
scaled frequencies    θ' multiplied by a constant c (angles c·m·θ'), c read off the output           semantic
scaled output         the rotated part multiplied by a constant c (an attention factor c applied)    semantic
<t> cos/sin           cos and sin rounded to t = float32, float16, bfloat16 (rope_apply)            precision
<t> positions         m rounded to t = float16, bfloat16 before the angles (rope_apply)             precision
<t> angles            θ or m·θ computed in float32, or held in float16/bfloat16 (rope_apply)         precision
<t> frequencies       θ held in t = float32, float16, bfloat16 (rope_frequencies)                    precision
====================  =============================================================================  ==========

``rope_frequencies`` is tried on the frequency-map hypotheses (scaling ignored … other rope_type), other
base, scaled frequencies and <t> frequencies; ``rope_apply`` on all the others. Only precisions below the
result's own are tried (float32 angles for a float64 result only, no cos/sin hypothesis for bfloat16).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import ml_dtypes
import numpy as np

from spec import error_model, rope_parameters, validation
from spec.layouts import pair_indices
from spec.phases import pair_exponents, reduce_phases
from spec.scaling import FrequencyModel, frequency_model
from spec.targets import numpy_dtype
from tests.diagnosis import (
    MATCHES_ORACLE,
    PRECISION,
    SEMANTIC,
    UNEXPLAINED,
    Diagnosis,
    probe,
)

#: Probe positions: small ones pin offsets and directions (tight tolerances), large ones the frequencies;
#: successive ratios ≤ 16 so a frequency can be unwrapped from one position to the next; 1001 is exact in float16
#: but not in bfloat16 (→ 1000), so positions rounded to either are told apart.
PROBE_POSITIONS = (0, 1, 2, 3, 5, 8, 13, 64, 1001, 4097, 65539, 1048583)
PROBE_SEED = 20240917
#: A semantic prediction is a float64 evaluation with its own error model: the two bounds add.
SLACK = 2.0
#: Lower precisions a target may hold angles, cos/sin or θ in, tightest first.
LOWER = ("float32", "float16", "bfloat16")
_FLOAT16_MAX = float(np.finfo(np.float16).max)


class _Candidate(NamedTuple):
    id: str
    verdict: str
    text: str
    expected: np.ndarray
    tolerance: np.ndarray


@dataclass(frozen=True)
class _Variant:
    """A frequency map the target may compute instead of the asked one, with its sentence for each op."""

    id: str
    model: FrequencyModel
    frequencies_text: str
    apply_text: str


def _map_variant(id_: str, model: FrequencyModel, what: str) -> _Variant:
    return _Variant(id_, model, f"inv_freq of {what}", f"rotates with the frequencies of {what}")


def _fmt(value) -> str:
    if isinstance(value, (list, tuple)):
        shown = ", ".join(_fmt(v) for v in value[:3])
        return f"[{shown}{', …' if len(value) > 3 else ''}]"
    return f"{value:.6g}" if isinstance(value, float) else repr(value) if isinstance(value, str) else str(value)


def _estimates(value: float, asked: float) -> list[float]:
    """Candidates for a constant read off the output: its roundings to 1 … 8 significant digits, shortest first
    (a bug's constant is usually a round number), then the raw estimate — none equal to the asked value to 8
    digits: that is a rounding difference, not another constant."""
    if not math.isfinite(value) or value == 0:
        return []
    candidates = dict.fromkeys([*(float(f"{value:.{digits}g}") for digits in range(1, 9)), value])
    return [c for c in candidates if f"{c:.8g}" != f"{asked:.8g}"]


def _wrap(angle):
    return (angle + np.pi) % (2 * np.pi) - np.pi


# --- the asked configuration and its frequency-map variants -------------------------------------------


@dataclass(frozen=True)
class _Config:
    rotary_dim: int
    base: float
    config: dict | None  # the normalised scaling (every key of its rope_type), None for plain RoPE
    asked: frozenset  # the keys the scaling dict spelled out (the others took their defaults)
    seq_len: int | None
    model: FrequencyModel  # the oracle's map

    @property
    def scaled(self) -> bool:
        return self.config is not None and self.config["rope_type"] != "default"

    @property
    def plain(self) -> FrequencyModel:
        return frequency_model(self.rotary_dim, self.base)


def _configuration(rotary_dim: int, base: float, scaling, seq_len) -> _Config:
    config = rope_parameters.normalise(scaling, rotary_dim, seq_len)
    asked = frozenset(scaling or ())
    return _Config(rotary_dim, float(base), config, asked, seq_len, frequency_model(rotary_dim, base, scaling, seq_len))


#: Keys that change only the attention factor (``spec.scaling``: yarn's and longrope's), never θ'.
_ATTENTION_ONLY = frozenset({"mscale", "mscale_all_dim", "attention_factor"})


def _unchecked_map(cfg: _Config, config: dict, seq_len) -> FrequencyModel:
    """``spec.scaling``'s exact map of a normalised config *without* re-validating it: a swapped beta pair or
    a non-integer seq_len is no valid request, but it is what a buggy target computes."""
    from spec.scaling import _freeze, _model

    changed = {key for key in config if config[key] != cfg.config[key]}
    if changed <= _ATTENTION_ONLY and seq_len == cfg.seq_len:
        # Only the attention factor changes, and it does not depend on rotary_dim: one pair gives it (fast).
        return _with(cfg.model, attention_factor=_model(2, cfg.base, _freeze(config), seq_len).attention_factor)
    return _no_tighter(_model(cfg.rotary_dim, cfg.base, _freeze(config), seq_len), cfg)


def _no_tighter(model: FrequencyModel, cfg: _Config) -> FrequencyModel:
    """A variant judged at the larger of its own κ and the asked map's: a misread map is evaluated with the same
    operations as the asked one, and κ is not derived for an invalid config (it may even come out negative)."""
    return _with(model, sensitivity=np.maximum(np.abs(model.sensitivity), cfg.model.sensitivity))


def _with(model: FrequencyModel, **changes) -> FrequencyModel:
    fields = {"hi": model.hi, "lo": model.lo, "attention_factor": model.attention_factor, "sensitivity": model.sensitivity}
    return FrequencyModel(**{**fields, **changes})


def _float_map(theta, attention_factor: float, sensitivity) -> FrequencyModel:
    """A map evaluated here in float64 (no tail): its own rounding is within the error model at κ."""
    theta = np.asarray(theta, dtype=np.float64)
    return FrequencyModel(theta, np.zeros_like(theta), float(attention_factor), np.asarray(sensitivity, dtype=np.float64))


def _power_map(rotary_dim: int, base: float) -> FrequencyModel:
    """Plain θ_i = base^(−2i/d) in float64 with the error model's κ for that base."""
    e = pair_exponents(rotary_dim)
    return _float_map(np.power(base, -e), 1.0, error_model.power_sensitivity(e, base))


def _same_map(a: FrequencyModel, b: FrequencyModel) -> bool:
    return (np.array_equal(a.hi, b.hi) and np.array_equal(a.lo, b.lo)
            and a.attention_factor == b.attention_factor)


#: Keys a target may confuse with each other: their values (or, for an absent key, their defaults) swapped.
_PAIRS = (("beta_fast", "beta_slow"), ("low_freq_factor", "high_freq_factor"))


def _key_changes(cfg: _Config) -> Iterator[tuple[dict, object]]:
    """(changed keys, new seq_len) for each realistic misreading of one key or key pair, each once."""
    config, seq_len = cfg.config, cfg.seq_len
    schema = rope_parameters.ROPE_TYPES[config["rope_type"]]
    changes = []
    for key in ("factor", "alpha"):  # multiplied where it divides, or the exponent inverted
        if key in config and config[key] != 1:
            changes.append({key: 1 / config[key]})
    for a, b in _PAIRS:
        if a in config:
            changes.append({a: config[b], b: config[a]})
            absent = [k for k in (a, b) if k not in cfg.asked]
            if len(absent) == 1:  # the absent key given its partner's default
                partner = b if absent[0] == a else a
                changes.append({absent[0]: schema[partner]})
    if "truncate" in config:
        changes.append({"truncate": not config["truncate"]})
    if "ramp" in config:
        changes.append({"ramp": "paper" if config["ramp"] == "index" else "index"})
    if config.get("mscale") is not None or config.get("mscale_all_dim") is not None:
        changes.append({"mscale": None, "mscale_all_dim": None})
    for key, default in schema.items():  # an optional key that was given, ignored (its default used)
        if default is not rope_parameters.REQUIRED and key in cfg.asked and config[key] != default:
            changes.append({key: default})
    seen = []
    for change in changes:
        if change not in seen:
            seen.append(change)
            yield change, seq_len
    if config["rope_type"] in ("dynamic", "longrope", "reverse_extrapolation"):  # the maps that read seq_len
        lengths = [None, seq_len + 1, seq_len - 1 if seq_len > 1 else None] if seq_len is not None else []
        if "factor" in config:
            lengths.append(config["factor"] * config["original_max_position_embeddings"])
        for length in dict.fromkeys(lengths):
            if length != seq_len and (length is not None or seq_len is not None):
                yield {}, length


def _describe_change(cfg: _Config, changes: dict, new_seq_len) -> str:
    config = cfg.config
    asked = [f"{k}={_fmt(config[k])}" if k in cfg.asked else f"{k} absent (default {_fmt(config[k])})" for k in changes]
    given = [f"{k}={_fmt(v)}" for k, v in changes.items()]
    if new_seq_len != cfg.seq_len:
        asked.append(f"seq_len={cfg.seq_len}")
        note = ""
        if "factor" in config and new_seq_len == config["factor"] * config["original_max_position_embeddings"]:
            note = " (factor·original_max_position_embeddings, the full scaled context)"
        given.append(f"seq_len={_fmt(new_seq_len)}{note}")
    same = ""
    if set(changes) == {"beta_fast", "beta_slow"} and config.get("ramp") == "paper":
        same = " (with the paper ramp, the same as the ramp inverted)"
    return f"{config['rope_type']} with {', '.join(given)} where {', '.join(asked)} was asked{same}"


def _key_variants(cfg: _Config) -> Iterator[_Variant]:
    for changes, new_seq_len in _key_changes(cfg):
        try:
            model = _unchecked_map(cfg, {**cfg.config, **changes}, new_seq_len)
        except (ValueError, ZeroDivisionError, TypeError, ArithmeticError):
            continue
        yield _map_variant("other key values", model, _describe_change(cfg, changes, new_seq_len))


def _attention_variants(cfg: _Config) -> Iterator[_Variant]:
    af = cfg.model.attention_factor
    for value, how in ((1.0, "the factor dropped"), (af * af, "the factor squared")):
        if value != af:
            said = f"attention factor {_fmt(value)} where {_fmt(af)} was asked: {how}"
            yield _Variant("attention factor", _with(cfg.model, attention_factor=value), f"returns {said}", f"applies {said}")


def _ntk_exponent(cfg: _Config) -> Iterator[_Variant]:
    """ntk/dynamic with the new base b·g instead of b·g^(d/(d−2)) (g = s, or dynamic's growth)."""
    config, d = cfg.config, cfg.rotary_dim
    if config["rope_type"] == "ntk":
        growth = config["factor"]
    elif config["rope_type"] == "dynamic":
        original = config["original_max_position_embeddings"]
        length = max(cfg.seq_len or original, original)
        growth = config["factor"] * length / original - (config["factor"] - 1)
    else:
        return
    if growth > 0 and growth != 1:
        model = _power_map(d, cfg.base * growth)
        what = (f"{config['rope_type']} with base b·g = {_fmt(cfg.base * growth)} instead of "
                f"b·g^(d/(d−2)) = {_fmt(cfg.base * growth ** (d / (d - 2)))} (g = {_fmt(growth)})")
        yield _map_variant("ntk exponent", _no_tighter(model, cfg), what)


def _below_original(cfg: _Config) -> Iterator[_Variant]:
    """A map that must leave θ alone up to seq_len = L0 applied below it too."""
    config, d, seq_len = cfg.config, cfg.rotary_dim, cfg.seq_len
    kind = config["rope_type"]
    if kind not in ("dynamic", "reverse_extrapolation", "longrope"):
        return
    original = config["original_max_position_embeddings"]
    if kind == "longrope":
        if seq_len is None or seq_len <= original:
            model = _unchecked_map(cfg, {**config, "short_factor": config["long_factor"]}, seq_len)
            yield _map_variant("applied below L0", model, f"longrope with long_factor at seq_len={seq_len} ≤ "
                               f"original_max_position_embeddings={original}")
        return
    if seq_len is None or seq_len >= original:
        return
    plain = cfg.plain
    if kind == "dynamic":
        growth = config["factor"] * seq_len / original - (config["factor"] - 1)
        if not growth > 0:
            return
        new_base = cfg.base * growth ** (d / (d - 2))
        model = _power_map(d, new_base)
        what = (f"dynamic rescaled at seq_len={seq_len} < original_max_position_embeddings={original} "
                f"(L = seq_len instead of max(seq_len, L0): base {_fmt(new_base)})")
    else:
        shrink = original / seq_len
        model = _float_map(plain.theta * shrink, 1.0, plain.sensitivity + 2)
        what = (f"reverse_extrapolation compressing by L0/seq_len = {_fmt(shrink)} although seq_len={seq_len} ≤ "
                f"original_max_position_embeddings={original}")
    yield _map_variant("applied below L0", _no_tighter(model, cfg), what)


def _no_smoothing(cfg: _Config) -> Iterator[_Variant]:
    """llama3 with a hard switch instead of the blended medium band, at either end of the band."""
    config = cfg.config
    if config["rope_type"] != "llama3":
        return
    plain, s, original = cfg.plain, config["factor"], config["original_max_position_embeddings"]
    wavelength = 2 * np.pi / plain.theta
    for key in ("low_freq_factor", "high_freq_factor"):
        edge = original / config[key]
        theta = np.where(wavelength > edge, plain.theta / s, plain.theta)
        model = _no_tighter(_float_map(theta, 1.0, plain.sensitivity + 1), cfg)
        if not _same_map(model, cfg.model):
            yield _map_variant("no smoothing", model, f"llama3 without the smoothed band: θ/s above wavelength L0/{key} = "
                               f"{_fmt(edge)}, θ below")


def _inverted_ramp(cfg: _Config) -> Iterator[_Variant]:
    if cfg.config["rope_type"] != "yarn":
        return
    plain, s = cfg.plain, cfg.config["factor"]
    theta = plain.theta / s + plain.theta - cfg.model.theta  # θ/s·(1−γ) + θ·γ from θ' = θ/s·γ + θ·(1−γ)
    # The difference cancels: each term's error (κ of θ', 3 roundings) counts relative to the result.
    magnitude = plain.theta * (1 + 1 / s) + cfg.model.theta
    model = _float_map(theta, cfg.model.attention_factor, (cfg.model.sensitivity + 3) * magnitude / np.abs(theta))
    yield _map_variant("inverted ramp", model,
                       "yarn with the ramp inverted: θ/s·(1−γ) + θ·γ (high frequencies interpolated, low ones kept)")


def _other_rope_types(cfg: _Config) -> Iterator[_Variant]:
    kind = cfg.config["rope_type"]
    for other, schema in rope_parameters.ROPE_TYPES.items():
        required = [k for k, v in schema.items() if v is rope_parameters.REQUIRED]
        if other in ("default", kind) or not required or any(k not in cfg.config for k in required):
            continue
        config = {"rope_type": other, **{k: cfg.config[k] for k in schema if k in cfg.config}}
        try:
            model = frequency_model(cfg.rotary_dim, cfg.base, config, cfg.seq_len)
        except (ValueError, TypeError):
            continue
        keys = ", ".join(f"{k}={_fmt(v)}" for k, v in config.items() if k != "rope_type")
        yield _map_variant("other rope_type", model, f"{other} ({keys}) where {kind} was asked")


def _map_variants(cfg: _Config) -> Iterator[_Variant]:
    """Every frequency-map hypothesis of a scaled configuration, in the module docstring's order."""
    if not cfg.scaled:
        return
    plain = _with(cfg.plain, attention_factor=1.0)
    if not _same_map(plain, cfg.model):
        yield _map_variant("scaling ignored", plain, f"plain RoPE: the {cfg.config['rope_type']} scaling ignored")
    families = (_attention_variants, _key_variants, _ntk_exponent, _below_original, _no_smoothing, _inverted_ramp, _other_rope_types)
    for family in families:
        for variant in family(cfg):
            if not _same_map(variant.model, cfg.model):
                yield variant


# --- rope_apply -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ApplyProbe:
    cfg: _Config
    head_dim: int
    layout: str
    dtype: str
    x: np.ndarray  # float64, exact in dtype, [1, P, head_dim]
    positions: np.ndarray
    observed: np.ndarray


def _rotate(x, positions, model: FrequencyModel, layout: str, rd: int, *, sign: float = 1.0, negation: bool = True):
    """af·R(sign·m)x with the map's θ (pairs per layout), dims past rd copied; ``negation=False`` is rotate_half
    without its minus sign."""
    phases = reduce_phases(positions, model.hi, model.lo)
    cos, sin = model.attention_factor * np.cos(phases), sign * model.attention_factor * np.sin(phases)
    first, second = pair_indices(layout, rd)
    x1, x2 = x[..., first], x[..., second]
    out = x.copy()
    out[..., first] = x1 * cos - x2 * sin if negation else x1 * cos + x2 * sin
    out[..., second] = x1 * sin + x2 * cos
    return out


def _trig_error_at(phase_abs, sensitivity, precision: str):
    """``error_model.trig_error`` with the angles in ``precision`` (u(float64) replaced by u(precision))."""
    scale = error_model.unit_roundoff(precision) / error_model.unit_roundoff("float64")
    return error_model.trig_error(phase_abs, sensitivity, "float64") * scale


def _angle_sensitivity(model: FrequencyModel, precision: str):
    """κ of angles in ``precision``: computed in float32, the map's own κ (the error model's angle dtype for
    every non-float64 result); *held* in float16/bfloat16 — θ, m and m·θ each rounded once — κ = 1. A map
    recomputed in half precision would be allowed several per cent of frequency error, as much as some
    semantic bugs make, so that is not offered as an explanation."""
    return model.sensitivity if precision == "float32" else 1.0


def _tolerance(p: _ApplyProbe, model: FrequencyModel, positions=None, layout=None, rd=None, *, angles=None, cos_sin=None):
    """Per-component ``error_model.rope_error`` of af·R(m)x for a map, 0 on pass-through; ``angles``/``cos_sin``
    add the error of angles held in / cos and sin rounded to a lower precision."""
    positions = p.positions if positions is None else positions
    layout, rd = layout or p.layout, rd or p.cfg.rotary_dim
    first, second = pair_indices(layout, rd)
    l1 = np.abs(p.x[..., first]) + np.abs(p.x[..., second])
    phase = np.abs(np.asarray(positions, np.float64))[:, None] * np.abs(model.hi)
    pair = error_model.rope_error(l1, phase, model.sensitivity, p.dtype, model.attention_factor)
    extra = 0.0
    if angles is not None:
        extra = _trig_error_at(phase, _angle_sensitivity(model, angles), angles)
        if angles == "float16":  # a position or angle past float16's range is inf: nothing is predicted there
            m = np.abs(np.asarray(positions, np.float64))[:, None]
            extra = np.where((m > _FLOAT16_MAX) | (phase > _FLOAT16_MAX), np.inf, extra)
    if cos_sin is not None:
        extra = extra + error_model.unit_roundoff(cos_sin)
    pair = pair + error_model.SAFETY * model.attention_factor * l1 * extra
    tolerance = np.zeros_like(p.x)
    tolerance[..., first] = pair
    tolerance[..., second] = pair
    return tolerance


def _explains(observed, expected, tolerance) -> bool:
    """Every entry within tolerance (an infinite tolerance: nothing predicted there)."""
    with np.errstate(invalid="ignore"):
        return bool(np.all((tolerance == np.inf) | (np.abs(observed - expected) <= tolerance)))


def _semantic(p: _ApplyProbe, id_: str, text: str, model: FrequencyModel, positions=None, layout=None, rd=None, **rotation):
    positions = p.positions if positions is None else np.asarray(positions, np.int64)
    layout, rd = layout or p.layout, rd or p.cfg.rotary_dim
    expected = _rotate(p.x, positions, model, layout, rd, **rotation)
    return _Candidate(id_, SEMANTIC, text, expected, SLACK * _tolerance(p, model, positions, layout, rd))


def _observed_angles(p: _ApplyProbe) -> np.ndarray:
    """The angle from each input pair to the target's output pair, ``[P, rd/2]`` (meaningful if it rotates)."""
    first, second = pair_indices(p.layout, p.cfg.rotary_dim)
    x1, x2, y1, y2 = p.x[0][:, first], p.x[0][:, second], p.observed[0][:, first], p.observed[0][:, second]
    with np.errstate(invalid="ignore"):
        return np.arctan2(x1 * y2 - x2 * y1, x1 * y1 + x2 * y2)


def _scale_of(angles_row, theta) -> float:
    """s with angles_row ≈ s·θ mod 2π: read at the lowest frequency, refined pair by pair towards the highest."""
    order = [i for i in np.argsort(theta) if theta[i] > 0 and np.isfinite(angles_row[i])]
    if not order:
        return math.nan
    s = angles_row[order[0]] / theta[order[0]]
    for i in order[1:]:
        s += _wrap(angles_row[i] - s * theta[i]) / theta[i]
    return float(s)


def _angular_frequencies(p: _ApplyProbe, angles) -> np.ndarray:
    """Each pair's angle per unit position, unwrapped from position to position (mod 2π: integer positions
    cannot tell ω from ω + 2π)."""
    order = [j for j in np.argsort(p.positions) if p.positions[j] > 0]
    if not order:
        return np.full(angles.shape[1], np.nan)
    omega = angles[order[0]] / p.positions[order[0]]
    for j in order[1:]:
        omega = omega + _wrap(angles[j] - p.positions[j] * omega) / p.positions[j]
    return omega


def _pairing(p: _ApplyProbe) -> Iterator[_Candidate]:
    """The rotation itself misbuilt: the other layout's pairs, the opposite direction, rotate_half's sign."""
    model = p.cfg.model
    other = {"half": "interleaved", "interleaved": "half"}.get(p.layout)
    if other and p.cfg.rotary_dim >= 4:  # with one pair both layouts are the same
        yield _semantic(p, "other layout", f'rotates the pairs of layout="{other}" where layout="{p.layout}" was asked', model,
                        layout=other)
    yield _semantic(p, "opposite direction", "rotates by −m·θ (R(m)ᵀ): the opposite direction", model, sign=-1.0)
    yield _semantic(p, "no negation", "x·cos + swap(x)·sin: rotate_half without its minus sign (not a rotation)", model, negation=False)


def _positions(p: _ApplyProbe) -> Iterator[_Candidate]:
    """Rotations by other positions: m + k (k read off position 0's phases), or the row index."""
    model = p.cfg.model
    if 0 in p.positions:
        offset = _scale_of(_observed_angles(p)[list(p.positions).index(0)], model.hi)  # R(0 + k): phases k·θ_i
        if math.isfinite(offset) and round(offset) != 0:
            k = int(round(offset))
            sign = "+" if k > 0 else "−"
            yield _semantic(p, "position offset", f"positions offset by {sign}{abs(k)} (rotates by m {sign} {abs(k)})", model,
                            positions=p.positions + k)
    yield _semantic(p, "positions ignored", "rotates by the row index 0 … seq−1: the positions argument ignored", model,
                    positions=np.arange(len(p.positions)))


def _partial(p: _ApplyProbe) -> Iterator[_Candidate]:
    """Partial rotary (rotary_dim < head_dim) misread: every dim rotated, θ over head_dim, pass-through changed."""
    cfg, rd, hd, model = p.cfg, p.cfg.rotary_dim, p.head_dim, p.cfg.model
    if rd == hd:
        return
    for id_, text, dims in (("rotary_dim ignored", f"rotates all {hd} dims (rotary_dim={rd} ignored)", hd),
                            ("head_dim exponent", f"θ_i = b^(−2i/head_dim) with head_dim={hd} instead of b^(−2i/rotary_dim) "
                                                  f"with rotary_dim={rd}", rd)):
        try:
            wide = frequency_model(hd, cfg.base, cfg.config, cfg.seq_len)
        except (ValueError, TypeError):  # a per-pair factor list has rotary_dim/2 entries
            continue
        half = dims // 2
        yield _semantic(p, id_, text, FrequencyModel(wide.hi[:half], wide.lo[:half], wide.attention_factor, wide.sensitivity[:half]),
                        rd=dims)
    tolerance = _tolerance(p, model)
    tolerance[..., rd:] = np.inf  # the hypothesis: only the pass-through dims are wrong
    change = float(np.nanmax(np.abs(p.observed[..., rd:] - p.x[..., rd:]), initial=0.0))
    yield _Candidate("pass-through touched", SEMANTIC, f"the rotary dims are right but the dims past rotary_dim={rd} are changed "
                     f"instead of passed through (by up to {change:.3g})", _rotate(p.x, p.positions, model, p.layout, rd), tolerance)


def _estimated_maps(cfg: _Config, lowest: float, scale: float) -> Iterator[_Variant]:
    """The maps whose constant is read off the output: plain RoPE's base from its lowest frequency
    θ̂_{d/2−1} = b^(−(d−2)/d), and θ' scaled by c."""
    rd, model = cfg.rotary_dim, cfg.model
    if not cfg.scaled and rd >= 4 and lowest > 0:
        for base in _estimates(lowest ** (-rd / (rd - 2)), cfg.base):
            if base > 1:
                said = f"base ≈ {_fmt(base)} where base={_fmt(cfg.base)} was asked"
                yield _Variant("other base", _power_map(rd, base), said, said)
    for c in _estimates(scale, 1.0):
        scaled = _with(model, hi=model.hi * c, lo=model.lo * c, sensitivity=model.sensitivity + 1)
        yield _Variant("scaled frequencies", scaled, f"inv_freq multiplied by c ≈ {_fmt(c)}",
                       f"angles multiplied by c ≈ {_fmt(c)} (rotates by {_fmt(c)}·m·θ)")


def _estimated(p: _ApplyProbe) -> Iterator[_Candidate]:
    """Hypotheses with a constant read off the target's output: another base, scaled frequencies, a scaled output."""
    rd, model = p.cfg.rotary_dim, p.cfg.model
    omega = _angular_frequencies(p, _observed_angles(p))  # mod 2π: the lowest frequency is the reliable one
    for variant in _estimated_maps(p.cfg, omega[-1], omega[-1] / model.hi[-1] if model.hi[-1] > 0 else math.nan):
        yield _semantic(p, variant.id, variant.apply_text, variant.model)
    oracle = _rotate(p.x, p.positions, model, p.layout, rd)[..., :rd]
    norm = float(np.sum(oracle * oracle))
    for c in _estimates(float(np.sum(p.observed[..., :rd] * oracle)) / norm if norm > 0 else math.nan, 1.0):
        af = c * model.attention_factor
        yield _semantic(p, "scaled output", f"the rotated part is multiplied by c ≈ {_fmt(c)}: an attention factor {_fmt(af)} "
                        f"applied where {_fmt(model.attention_factor)} was asked", _with(model, attention_factor=af))


def _precision_ladder(dtype: str) -> Iterator[tuple[str, str]]:
    """(kind, precision) for the lower precisions a ``dtype`` result may hold cos/sin or angles in, tightest first."""
    u_out, u_ang = error_model.unit_roundoff(dtype), error_model.unit_roundoff(error_model.angle_dtype(dtype))
    for precision in LOWER:
        u = error_model.unit_roundoff(precision)
        if u > u_out:
            yield "cos/sin", precision
        if u > u_ang:
            yield "angles", precision


def _rounded_positions(p: _ApplyProbe) -> Iterator[_Candidate]:
    """Positions rounded to float16/bfloat16 before any angle is formed (built in x's dtype, as
    rotary-embedding-torch does): exact rotations at the rounded positions; where a position overflows the
    format (float16 ≥ 65520) nothing is predicted. Float32 holds every probe position exactly."""
    model, rd = p.cfg.model, p.cfg.rotary_dim
    for precision in LOWER[1:]:
        with np.errstate(over="ignore"):
            rounded = p.positions.astype(numpy_dtype(precision)).astype(np.float64)
        finite = np.isfinite(rounded)
        changed = finite & (rounded != p.positions)
        if not changed.any():
            continue
        at = np.where(finite, rounded, 0).astype(np.int64)
        tolerance = SLACK * _tolerance(p, model, at)
        tolerance[:, ~finite] = np.inf
        first = int(np.argmax(changed))
        text = (f"{precision} positions: positions rounded to {precision} before the angles are formed "
                f"({int(p.positions[first])} → {int(at[first])}), so distinct positions collide — a precision limit of "
                f"the position format, and a defect wherever a position exceeds its exact range")
        yield _Candidate(f"{precision} positions", PRECISION, text, _rotate(p.x, at, model, p.layout, rd), tolerance)


def _precision(p: _ApplyProbe) -> Iterator[_Candidate]:
    yield from _rounded_positions(p)
    model = p.cfg.model
    expected = _rotate(p.x, p.positions, model, p.layout, p.cfg.rotary_dim)
    for kind, precision in _precision_ladder(p.dtype):
        if kind == "cos/sin":
            text = (f"{precision} cos/sin: as if cos and sin were rounded to {precision} — exact at {precision} precision, "
                    "a precision limit, not a semantic error")
            yield _Candidate(f"{precision} cos/sin", PRECISION, text, expected, _tolerance(p, model, cos_sin=precision))
        else:
            held = "computed" if precision == "float32" else "held"
            text = (f"{precision} angles: as if θ and m·θ were {held} in {precision} — exact at {precision} precision, "
                    "a precision limit, not a semantic error")
            yield _Candidate(f"{precision} angles", PRECISION, text, expected, _tolerance(p, model, angles=precision))


def _apply_hypotheses(p: _ApplyProbe) -> Iterator[_Candidate]:
    yield from _pairing(p)
    yield from _positions(p)
    yield from _partial(p)
    for variant in _map_variants(p.cfg):
        yield _semantic(p, variant.id, variant.apply_text, variant.model)
    yield from _estimated(p)
    yield from _precision(p)


def probe_vectors(seq: int, head_dim: int, dtype: str) -> np.ndarray:
    """The probe's x: standard normal, fixed seed, rounded to ``dtype`` (float64 values exact in it)."""
    x = np.random.default_rng(PROBE_SEED).standard_normal((1, seq, head_dim))
    return x.astype(numpy_dtype(dtype)).astype(np.float64)


def probe_positions(target) -> np.ndarray:
    limit = target.max_position("rope_apply")
    return np.array([m for m in PROBE_POSITIONS if limit is None or m <= limit], dtype=np.int64)


def _unexplained(text: str) -> Diagnosis:
    return Diagnosis(UNEXPLAINED, "", text)


#: The frequency-map hypotheses: two of them may be the same function for a configuration (YaRN's ramp inverted and
#: its betas swapped, without truncation), so after the first match the rest of this group is tried too.
MAP_IDS = frozenset({"scaling ignored", "attention factor", "other key values", "ntk exponent", "applied below L0",
                     "no smoothing", "inverted ramp", "other rope_type"})


def _diagnosis(matches: list[tuple[str, str, str]]) -> Diagnosis | None:
    """The first (id, verdict, text) that matched, with any other map hypothesis that explains the output as well."""
    if not matches:
        return None
    id_, verdict, text = matches[0]
    others = {other: said for other, _, said in matches[1:] if other != id_}
    if others:
        text += "; equally explained as " + "; ".join(f"{other}: {said}" for other, said in others.items())
    return Diagnosis(verdict, id_, text, tuple(others))


def _first(candidates: Iterator[_Candidate], observed, oracle) -> Diagnosis | None:
    """The first candidate that explains the output and that the oracle's own output would not pass as: such a
    semantic hypothesis cannot explain a departure from the oracle. Exempt: the precision hypotheses (they predict
    the oracle) and the pass-through one (it predicts nothing for the dims it says are changed). A map hypothesis
    is followed by the rest of the map group (:data:`MAP_IDS`)."""
    matches = []
    for candidate in candidates:
        if matches and candidate.id not in MAP_IDS:
            break
        if not _explains(observed, candidate.expected, candidate.tolerance):
            continue
        indistinct = candidate.verdict == SEMANTIC and np.isfinite(candidate.tolerance).all()
        if not (indistinct and _explains(oracle, candidate.expected, candidate.tolerance)):
            matches.append((candidate.id, candidate.verdict, candidate.text))
            if candidate.id not in MAP_IDS:
                break
    return _diagnosis(matches)


def _largest_departure(observed, oracle, positions) -> str:
    with np.errstate(invalid="ignore"):
        error = np.where(np.isnan(observed), np.inf, np.abs(observed - oracle))
    worst = np.unravel_index(int(np.argmax(error)), error.shape)
    return (f"no hypothesis explains the output: it departs from the oracle by up to {float(error[worst]):.3g} "
            f"(position {int(positions[worst[1]])}, dim {int(worst[2])}) on the diagnosis probes")


def diagnose_rope_apply(target, dtype: str, arguments: dict) -> Diagnosis:
    """What ``rope_apply`` computes instead, from its outputs on the probe of the failing configuration."""
    positions = probe_positions(target)
    x = probe_vectors(len(positions), int(np.shape(arguments["x"])[-1]), dtype)
    keywords = {k: arguments[k] for k in ("base", "layout", "rotary_dim", "scaling", "seq_len") if k in arguments}
    asked = {"base": 10000.0, "layout": "half", "rotary_dim": None, "scaling": None, "seq_len": None, **keywords}  # protocol defaults
    if isinstance(asked["scaling"], dict) and asked["scaling"].get("mrope_section") is not None:
        return _unexplained("multi-axis RoPE is not diagnosed (the hypotheses are single-axis); the M-RoPE map "
                            "property names which row each pair follows")
    try:
        head_dim, rd, base, _ = validation.scaled_rope_apply_args(x, positions, *asked.values())
        cfg = _configuration(rd, base, asked["scaling"], asked["seq_len"])
    except (ValueError, TypeError) as error:
        return _unexplained(f"the failing configuration has no oracle ({error})")
    observed = probe(target, "rope_apply", target.asarray(x, dtype), target.asarray(positions), **keywords)
    if observed is None or observed.shape != x.shape:
        return _unexplained("the target raised or returned no array of x's shape on the diagnosis probe")
    p = _ApplyProbe(cfg, head_dim, asked["layout"], dtype, x, positions, observed)
    oracle = _rotate(x, positions, cfg.model, p.layout, rd)
    if _explains(observed, oracle, _tolerance(p, cfg.model)):
        return _unexplained(MATCHES_ORACLE)
    return _first(_apply_hypotheses(p), observed, oracle) or _unexplained(_largest_departure(observed, oracle, positions))


# --- rope_frequencies -------------------------------------------------------------------------------


def probe_frequencies(target, rotary_dim, **keywords) -> tuple[np.ndarray, float] | None:
    """The target's ``(inv_freq as float64, attention factor)``, or None when it raises or returns something else."""
    from tests.checks import _time_limit

    try:
        with _time_limit():
            inv_freq, factor = target.op("rope_frequencies")(rotary_dim, **keywords)
        return np.asarray(target.to_numpy(inv_freq)).astype(np.float64), float(factor)
    except BaseException as error:  # noqa: BLE001 — as tests.diagnosis.probe: nothing a target does may crash the diagnoser
        if isinstance(error, KeyboardInterrupt):
            raise
        return None


def _held_in(observed, precision: str) -> bool:
    """Whether every value is representable in ``precision`` (θ held in it, then widened)."""
    with np.errstate(over="ignore"):
        return bool(np.array_equal(observed.astype(numpy_dtype(precision)).astype(np.float64), observed))


def _frequencies_match(observed, factor, model: FrequencyModel, dtype: str, slack: float = 1.0) -> bool:
    theta_ok = _explains(observed, model.theta, slack * error_model.frequency_error(model.theta, model.sensitivity, dtype))
    return theta_ok and abs(factor - model.attention_factor) <= slack * error_model.attention_factor_error(model.attention_factor)


def _frequency_hypotheses(cfg: _Config, observed, dtype: str) -> Iterator[tuple[str, str, str, FrequencyModel, str, float]]:
    """(id, verdict, text, predicted map, the dtype whose error model judges it, slack), in the module docstring's order."""
    for variant in _map_variants(cfg):
        yield variant.id, SEMANTIC, variant.frequencies_text, variant.model, dtype, SLACK
    model = cfg.model
    weight = float(np.sum(model.theta * model.theta))
    scale = float(np.sum(observed * model.theta)) / weight if weight > 0 else math.nan  # least squares θ̂ ≈ c·θ'
    for variant in _estimated_maps(cfg, observed[-1], scale):
        yield variant.id, SEMANTIC, variant.frequencies_text, variant.model, dtype, SLACK
    for precision in LOWER:  # θ held in a lower precision: representable in it, and within its error model
        if error_model.unit_roundoff(precision) > error_model.unit_roundoff(dtype) and _held_in(observed, precision):
            largest = float(ml_dtypes.finfo(numpy_dtype(precision)).max)  # np.finfo rejects bfloat16
            if cfg.base > largest:  # the base itself is inf there: b^(2i/d) = inf, θ_i = 0 for every i ≥ 1
                first = np.arange(model.hi.size) == 0
                text = (f"{precision} frequencies: the base {_fmt(cfg.base)} overflows {precision} (largest {largest:g}), "
                        f"so θ_i = 1/inf = 0 for i ≥ 1 — the range of {precision}, a precision limit, not a semantic error")
                yield (f"{precision} frequencies", PRECISION, text,
                       _with(model, hi=np.where(first, model.hi, 0.0), lo=np.where(first, model.lo, 0.0)), precision, 1.0)
                continue
            text = (f"{precision} frequencies: θ held in {precision} — exact at {precision} precision, a precision limit, "
                    "not a semantic error")
            yield f"{precision} frequencies", PRECISION, text, model, precision, 1.0


def diagnose_rope_frequencies(target, dtype: str, arguments: dict) -> Diagnosis:
    """What ``rope_frequencies`` computes instead, from its answer to the failing call (it is deterministic)."""
    keywords = {k: arguments[k] for k in ("base", "scaling", "seq_len") if k in arguments}
    asked = {"base": 10000.0, "scaling": None, "seq_len": None, **keywords}  # the protocol's defaults
    try:
        rd, base, _ = validation.scaled_rope_frequencies_args(arguments["rotary_dim"], *asked.values())
        cfg = _configuration(rd, base, asked["scaling"], asked["seq_len"])
    except (ValueError, TypeError) as error:
        return _unexplained(f"the failing configuration has no oracle ({error})")
    result = probe_frequencies(target, arguments["rotary_dim"], **keywords)
    if result is None or result[0].shape != (rd // 2,):
        return _unexplained("the target raised or returned no (inv_freq[rotary_dim // 2], attention_factor) on the diagnosis probe")
    observed, factor = result
    if _frequencies_match(observed, factor, cfg.model, dtype):
        return _unexplained(MATCHES_ORACLE)
    matches = []
    for id_, verdict, text, model, judged_as, slack in _frequency_hypotheses(cfg, observed, dtype):
        if matches and id_ not in MAP_IDS:
            break
        if not _frequencies_match(observed, factor, model, judged_as, slack):
            continue
        if verdict == PRECISION or not _frequencies_match(cfg.model.theta, cfg.model.attention_factor, model, judged_as, slack):
            matches.append((id_, verdict, text))  # (a semantic map the oracle would pass as explains no departure from it)
            if id_ not in MAP_IDS:
                break
    if matches:
        return _diagnosis(matches)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.abs(observed / cfg.model.theta - 1)
    pair = int(np.nanargmax(relative)) if np.isfinite(relative).any() else 0
    return _unexplained(f"no hypothesis explains the output: inv_freq departs from the oracle by up to {float(relative[pair]):.3g} "
                        f"relative (pair {pair}), attention factor {_fmt(factor)} where {_fmt(cfg.model.attention_factor)} was asked")
