r"""Scaled RoPE frequencies, exactly: θ'_i and the attention factor for every ``rope_type``.

Notation: d = rotary_dim, i = pair index, e_i = 2i/d, b = base, θ_i = b^(−e_i), λ_i = 2π/θ_i,
s = factor, L0 = original_max_position_embeddings. Each map is evaluated in mpmath (160 bits) and
kept as a double-double (``hi + lo``), so the phases m·θ'_i stay exact (``spec.phases``).

* linear (PI, Chen et al. 2023):       θ' = θ/s.
* ntk (bloc97):                         θ' = b'^(−e_i), b' = b·s^(d/(d−2))  ⇒ θ'_0 = θ_0, θ'_{d/2−1} = θ_{d/2−1}/s.
* dynamic (Hugging Face):               L = max(seq_len, L0), b' = b·(s·L/L0 − (s−1))^(d/(d−2)).
* ntk_alpha (HunYuan):                  b' = b·α^(d/(d−2)) at every seq_len (bloc97's NTK with α as the factor).
* yarn (Peng et al. 2023, HF code):     γ_i = clamp((i − low)/(high − low), 0, 1) with low/high the correction
  dims of beta_fast/beta_slow, fcd(r) = d·ln(L0/(2πr))/(2 ln b), floored/ceiled when ``truncate``,
  clamped to [0, d−1] (high += 0.001 if equal); ``ramp="paper"``: γ_i = clamp((r_i − β_slow)/(β_fast − β_slow))
  with r_i = L0/λ_i. θ' = θ/s·γ + θ·(1 − γ). Attention factor: ``attention_factor``, else
  mscale(s, mscale)/mscale(s, mscale_all_dim) when both are truthy, else mscale(s, 1);
  mscale(s, k) = 0.1·k·ln s + 1 for s > 1, else 1.
* llama3:                               θ if λ < L0/high; θ/s if λ > L0/low; else (1−σ)θ/s + σθ, σ = (L0/λ − low)/(high − low)
  (low = high: no blend band, θ/s if λ > L0/low else θ).
* longrope (Phi-3):                     θ/ext_i, ext = long_factor if seq_len > L0 else short_factor;
  attention factor ``attention_factor``, else √(1 + ln s/ln L0) (1 if s ≤ 1).
* seed_scale / seed_power / seed_polynomial: α·θ, θ^(1/α), θ·(1 + α(i/d)^β).
* reverse_extrapolation:                θ·L0/seq_len when seq_len > L0, else θ.
* proportional (Gemma 4, HF code):      θ_j/s for j < R = int(p·d // 2) (Python's float expression), 0 beyond.

Alongside θ' the model gives each pair's *sensitivity* κ_i (for YaRN's index ramp with ``truncate=False`` it includes
the float correction dims' own error through γ: a narrow ramp at large d — beta_fast near beta_slow — makes γ
ill-conditioned, e.g. 74 u observed at d = 170, β = (2, 1); ``_ramp_error``): the relative error, in units of the
angle dtype's unit roundoff, that a careful float implementation of that map may carry (derived per
map below, used by ``spec.error_model``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import mpmath
import numpy as np

from spec import error_model, rope_parameters
from spec.phases import frequencies_mp, pair_exponents, split_dd

_PREC = 160
#: A truncated YaRN correction dim this close to an integer may round either way in float64.
_INTEGER_SLACK = 1e-9
#: Llama-3 without a blend band jumps from θ to θ/s at λ = L0/low: which side a pair lands on is decided by
#: its L0/λ in the implementation's frequency dtype, float32 at the coarsest (half-precision θ does not conform).
_COARSEST_ANGLE_U = error_model.UNIT_ROUNDOFF["float32"]
_EDGE_SAFETY = error_model.SAFETY


@dataclass(frozen=True)
class FrequencyModel:
    """θ'_i as a double-double, the attention factor, and the error model's sensitivities κ_i."""

    hi: np.ndarray
    lo: np.ndarray
    attention_factor: float
    sensitivity: np.ndarray
    ambiguous: bool = False  # a floor/ceil of the configuration sits on an integer: either rounding conforms

    @property
    def theta(self) -> np.ndarray:
        return self.hi + self.lo


def _freeze(config):
    return None if config is None else tuple(sorted((k, tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in config.items()))


def frequency_model(rotary_dim: int, base: float, scaling=None, seq_len=None) -> FrequencyModel:
    """The exact scaled frequencies of a (validated) configuration."""
    config = rope_parameters.normalise(scaling, rotary_dim, seq_len)
    return _model(rotary_dim, float(base), _freeze(config), seq_len)


def mscale(s, k=1.0):
    return mpmath.mpf(1) if s <= 1 else 0.1 * k * mpmath.log(s) + 1


def correction_dim(r, d, b, original):
    return d * mpmath.log(original / (r * 2 * mpmath.pi)) / (2 * mpmath.log(b))


@lru_cache(maxsize=4096)
def _model(d: int, base: float, frozen, seq_len) -> FrequencyModel:
    config = dict(frozen) if frozen is not None else {"rope_type": "default"}
    kind = config["rope_type"]
    e = pair_exponents(d)
    kappa = error_model.power_sensitivity(e, base)
    ambiguous = False
    with mpmath.workprec(_PREC):
        b = mpmath.mpf(base)
        theta = list(frequencies_mp(d, base))
        s = mpmath.mpf(config.get("factor", 1))
        factor = mpmath.mpf(1)
        if kind == "linear":
            new, kappa = [t / s for t in theta], kappa + 1
        elif kind in ("ntk", "dynamic", "ntk_alpha"):
            growth = mpmath.mpf(config["alpha"]) if kind == "ntk_alpha" else s
            conditioning = 0.0
            if kind == "dynamic":
                original = config["original_max_position_embeddings"]
                length = max(seq_len or original, original)
                growth = s * length / original - (s - 1)
                conditioning = float((s * length / original + s) / growth)
            new_base = b * growth ** (mpmath.mpf(d) / (d - 2))
            new = [new_base ** (-mpmath.mpf(2 * i) / d) for i in range(d // 2)]
            # b' carries (2 + (d/(d−2))·|ln growth| + 4·conditioning)·u; its exponent e scales that.
            log_ratio = abs(float(mpmath.log(new_base / b)))
            kappa = 2 + 2 * e * (float(mpmath.log(new_base)) + 2 + log_ratio + 4 * conditioning)
        elif kind == "yarn":
            new, ramp_error, ambiguous = _yarn(theta, d, b, s, config, kappa)
            factor = _yarn_attention(s, config)
            kappa = _blend_sensitivity(kappa, s, theta, new, ramp_error)
        elif kind == "llama3":
            new = _llama3(theta, s, config)
            low, high = config["low_freq_factor"], config["high_freq_factor"]
            # L0/λ = L0·θ/(2π) carries θ's κ plus 3 roundings.
            ratio = config["original_max_position_embeddings"] * _floats(theta) / (2 * np.pi)
            if low == high:  # no blend band: a pair whose λ is within that error of L0/low may land on either side
                ambiguous = bool(np.any(np.abs(ratio / low - 1) <= _EDGE_SAFETY * (kappa + 3) * _COARSEST_ANGLE_U))
                kappa = kappa + 1
            else:  # σ = (L0/λ − low)/(high − low)
                kappa = _blend_sensitivity(kappa, s, theta, new, (kappa + 3) * np.minimum(ratio, high) / (high - low) + 2)
        elif kind == "longrope":
            original = config["original_max_position_embeddings"]
            ext = config["long_factor"] if seq_len is not None and seq_len > original else config["short_factor"]
            new, kappa = [t / mpmath.mpf(x) for t, x in zip(theta, ext)], kappa + 2
            factor = (mpmath.mpf(config["attention_factor"]) if config["attention_factor"] is not None
                      else mpmath.mpf(1) if s <= 1 else mpmath.sqrt(1 + mpmath.log(s) / mpmath.log(original)))
        elif kind == "seed_scale":
            new, kappa = [mpmath.mpf(config["alpha"]) * t for t in theta], kappa + 1
        elif kind == "seed_power":
            alpha = mpmath.mpf(config["alpha"])
            new = [t ** (1 / alpha) for t in theta]
            kappa = kappa * max(1.0, 1 / float(alpha)) + 2 + 2 * e * np.log(base) / float(alpha)
        elif kind == "seed_polynomial":
            alpha, beta = mpmath.mpf(config["alpha"]), mpmath.mpf(config["beta"])
            new = [t * (1 + alpha * (mpmath.mpf(i) / d) ** beta) for i, t in enumerate(theta)]
            kappa = kappa + 5 + 2 * float(beta) * np.log(d)
        elif kind == "proportional":
            rotated = rope_parameters.proportional_pairs(config["partial_rotary_factor"], d)
            new = [t / s if j < rotated else mpmath.mpf(0) for j, t in enumerate(theta)]
            kappa = np.where(np.arange(d // 2) < rotated, kappa + 1, 0.0)  # a zero frequency is exact
        elif kind == "reverse_extrapolation":
            original = config["original_max_position_embeddings"]
            shrink = mpmath.mpf(original) / seq_len if seq_len is not None and seq_len > original else mpmath.mpf(1)
            new, kappa = [t * shrink for t in theta], kappa + 2
        else:  # default
            new = theta
        hi, lo = split_dd(new)
        return FrequencyModel(hi, lo, float(factor), np.asarray(kappa, dtype=np.float64), ambiguous)


def _floats(values):
    return np.array([float(v) for v in values])


def _blend_sensitivity(kappa, s, theta, new, ramp_error):
    """κ of θ' = θ/s·γ + θ(1−γ) = θ(1 − γ(1 − 1/s)) when γ carries ``ramp_error``·u (absolute):
    θ's own κ, 3 roundings of the blend, and Δγ·(1 − 1/s)·θ/θ'."""
    return kappa + 3 + ramp_error * abs(1 - 1 / float(s)) * _floats(theta) / _floats(new)


def _yarn(theta, d, b, s, config, kappa):
    """(θ', the ramp's absolute error in units of u, ambiguous) for the index (HF) or the paper ramp."""
    original = config["original_max_position_embeddings"]
    fast, slow = mpmath.mpf(config["beta_fast"]), mpmath.mpf(config["beta_slow"])
    ambiguous = False
    if config["ramp"] == "paper":
        r = [original * t / (2 * mpmath.pi) for t in theta]
        gamma = [min(max((x - slow) / (fast - slow), 0), 1) for x in r]
        # r = L0·θ/(2π) carries θ's κ plus 3 roundings; γ = (r − β_slow)/(β_fast − β_slow) two more.
        ramp_error = (kappa + 3) * np.minimum(_floats(r), float(fast)) / float(fast - slow) + 2
        # paper: γ = 1 keeps θ (high frequency), γ = 0 interpolates; store the HF convention (1 = interpolate)
        gamma = [1 - g for g in gamma]
    else:
        low, high = correction_dim(fast, d, b, original), correction_dim(slow, d, b, original)
        # Untruncated, the float correction dims carry |Δ| ≤ u·(4|fcd| + 3d/(2 ln b)) (ln of an argument rounded 3×,
        # a product and a quotient); truncated or clamped they are exact integers (an integer-adjacent one: ambiguous).
        rounded = {"low": config["truncate"] or low <= 0, "high": config["truncate"] or high >= d - 1}
        if config["truncate"]:
            ambiguous = any(abs(v - mpmath.nint(v)) < _INTEGER_SLACK for v in (low, high))
            low, high = mpmath.floor(low), mpmath.ceil(high)
        low, high = max(low, 0), min(high, d - 1)
        if low == high:
            high += mpmath.mpf("0.001")
        gamma = [min(max((i - low) / (high - low), 0), 1) for i in range(d // 2)]
        ramp_error = _ramp_error(d // 2, float(low), float(high), float(mpmath.log(b)), d, rounded)
    new = [t / s * g + t * (1 - g) for t, g in zip(theta, gamma)]
    return new, ramp_error, ambiguous


def _ramp_error(pairs, low, high, log_base, d, exact):
    """The absolute error of γ_i = clamp((i − low)/(high − low)) in units of u: 4 for the arithmetic, plus the
    correction dims' own errors Δ (zero where ``exact``) through t = (i − low)/(high − low):
    (|i − high|·Δlow + |i − low|·Δhigh)/(high − low)² — only where t lies within that much (in float32's u, the
    coarsest frequency dtype) of [0, 1]: a γ clamped further out is exactly 0 or 1."""
    i = np.arange(pairs, dtype=np.float64)
    delta_low = 0.0 if exact["low"] else 4 * abs(low) + 3 * d / (2 * log_base)
    delta_high = 0.0 if exact["high"] else 4 * abs(high) + 3 * d / (2 * log_base)
    width = high - low
    moved = (np.abs(i - high) * delta_low + np.abs(i - low) * delta_high) / width**2
    t, reach = (i - low) / width, _EDGE_SAFETY * moved * _COARSEST_ANGLE_U  # float32: the coarsest frequency dtype
    return 4.0 + np.where((t >= -reach) & (t <= 1 + reach), moved, 0.0)


def _yarn_attention(s, config):
    if config["attention_factor"] is not None:
        return mpmath.mpf(config["attention_factor"])
    if config["mscale"] and config["mscale_all_dim"]:
        return mscale(s, config["mscale"]) / mscale(s, config["mscale_all_dim"])
    return mscale(s)


def _llama3(theta, s, config):
    original = config["original_max_position_embeddings"]
    low, high = mpmath.mpf(config["low_freq_factor"]), mpmath.mpf(config["high_freq_factor"])
    new = []
    for t in theta:
        wavelength = 2 * mpmath.pi / t
        if wavelength > original / low:
            new.append(t / s)
        elif wavelength < original / high or low == high:  # no blend band when low == high
            new.append(t)
        else:
            sigma = (original / wavelength - low) / (high - low)
            new.append((1 - sigma) * t / s + sigma * t)
    return new
