r"""Scaled RoPE frequencies for the reference implementation: one function per ``rope_type``.

Every function has one signature, ``(freqs, config, seq_len) -> (inv_freq, attention_factor)``, and
``SCALERS`` maps the rope_type to it (Hugging Face's ``ROPE_INIT_FUNCTIONS`` pattern). ``freqs`` is
a :class:`Frequencies` bound to an array namespace, dtype, device and rotary dim; ``config`` is the
dict normalised by ``spec.rope_parameters`` (every key present). The formulas follow the code people
run (``transformers.modeling_rope_utils``); the normative text is ``spec/scaling.py``.

``angle_frequencies`` gives rope_apply and sinusoidal the frequencies they build angles from: plain
θ_i as a float64 double-double (``Frequencies.from_base_dd``), a scaled θ'_i as its float64 value.
"""

from __future__ import annotations

import math
from decimal import Context, Decimal
from functools import lru_cache

from spec import rope_parameters

#: 40 significant digits (2⁻¹³²): ln and exp in Python's decimal are correctly rounded.
_DECIMAL = Context(prec=40)


class Frequencies:
    """θ_i = 1/b^(2i/d) and friends in one array namespace, dtype and device."""

    def __init__(self, xp, dtype, device, dim: int):
        self.xp, self.dtype, self.device, self.dim = xp, dtype, device, dim

    def array(self, values):
        return self.xp.asarray(values, dtype=self.dtype, device=self.device)

    def index(self):
        """The pair index i = 0 … d/2 − 1 as floats."""
        return self.xp.arange(self.dim // 2, dtype=self.dtype, device=self.device)

    def from_base(self, base: float):
        exponent = self.xp.arange(0, self.dim, 2, dtype=self.dtype, device=self.device) / self.dim
        return 1.0 / (self.array(base) ** exponent)

    def from_base_dd(self, base: float):
        """θ_i = b^(−2i/d) as (hi, lo) with hi + lo within 2⁻¹⁰⁶·θ_i (in ``dtype``, meant for float64)."""
        hi, lo = _power_dd(self.dim, float(base))
        return self.array(hi), self.array(lo)

    def clip(self, values, low: float, high: float):
        return self.xp.clip(values, low, high)


def default(freqs, config, seq_len):
    return freqs.from_base(config["base"]), 1.0


def linear(freqs, config, seq_len):
    return freqs.from_base(config["base"]) / config["factor"], 1.0


def ntk(freqs, config, seq_len):
    d = freqs.dim
    return freqs.from_base(config["base"] * config["factor"] ** (d / (d - 2))), 1.0


def ntk_alpha(freqs, config, seq_len):
    """HunYuan: bloc97's NTK base with a fixed α, whatever the length."""
    d = freqs.dim
    return freqs.from_base(config["base"] * config["alpha"] ** (d / (d - 2))), 1.0


def dynamic(freqs, config, seq_len):
    d, s, original = freqs.dim, config["factor"], config["original_max_position_embeddings"]
    length = max(seq_len or original, original)
    return freqs.from_base(config["base"] * (s * length / original - (s - 1)) ** (d / (d - 2))), 1.0


def mscale(scale: float, k: float = 1.0) -> float:
    return 1.0 if scale <= 1 else 0.1 * k * math.log(scale) + 1.0


def yarn(freqs, config, seq_len):
    d, s, base = freqs.dim, config["factor"], config["base"]
    original, fast, slow = config["original_max_position_embeddings"], config["beta_fast"], config["beta_slow"]
    theta = freqs.from_base(base)
    if config["ramp"] == "paper":  # linear in r = L0/λ; 1 keeps θ
        r = original * theta / (2 * math.pi)
        interpolate = 1 - freqs.clip((r - slow) / (fast - slow), 0.0, 1.0)
    else:  # Hugging Face: linear in the pair index between the correction dims
        def correction_dim(rotations):
            return d * math.log(original / (rotations * 2 * math.pi)) / (2 * math.log(base))

        low, high = correction_dim(fast), correction_dim(slow)
        if config["truncate"]:
            low, high = math.floor(low), math.ceil(high)
        low, high = max(low, 0), min(high, d - 1)
        if low == high:
            high += 0.001
        interpolate = freqs.clip((freqs.index() - low) / (high - low), 0.0, 1.0)
    if config["attention_factor"] is not None:
        factor = config["attention_factor"]
    elif config["mscale"] and config["mscale_all_dim"]:
        factor = mscale(s, config["mscale"]) / mscale(s, config["mscale_all_dim"])
    else:
        factor = mscale(s)
    return theta / s * interpolate + theta * (1 - interpolate), factor


def llama3(freqs, config, seq_len):
    xp, s, original = freqs.xp, config["factor"], config["original_max_position_embeddings"]
    low, high = config["low_freq_factor"], config["high_freq_factor"]
    theta = freqs.from_base(config["base"])
    wavelength = 2 * math.pi / theta
    scaled = xp.where(wavelength > original / low, theta / s, theta)
    if low == high:  # Llama-4-Scout's 1.0 and 1.0: no blend band (and no 0/0 for the smoothing factor)
        return scaled, 1.0
    smooth = (original / wavelength - low) / (high - low)
    smoothed = (1 - smooth) * scaled / s + smooth * scaled
    medium = (wavelength >= original / high) & (wavelength <= original / low)
    return xp.where(medium, smoothed, scaled), 1.0


def longrope(freqs, config, seq_len):
    original, s = config["original_max_position_embeddings"], config["factor"]
    long = seq_len is not None and seq_len > original
    ext = freqs.array(config["long_factor"] if long else config["short_factor"])
    factor = config["attention_factor"]
    if factor is None:
        factor = 1.0 if s <= 1 else math.sqrt(1 + math.log(s) / math.log(original))
    return freqs.from_base(config["base"]) / ext, factor


def seed_scale(freqs, config, seq_len):
    return config["alpha"] * freqs.from_base(config["base"]), 1.0


def seed_power(freqs, config, seq_len):
    return freqs.from_base(config["base"]) ** (1 / config["alpha"]), 1.0


def seed_polynomial(freqs, config, seq_len):
    growth = 1 + config["alpha"] * (freqs.index() / freqs.dim) ** config["beta"]
    return freqs.from_base(config["base"]) * growth, 1.0


def proportional(freqs, config, seq_len):
    """Gemma 4: the R = int(p·d // 2) highest frequencies of the whole head, the other pairs at frequency 0."""
    theta = freqs.from_base(config["base"]) / config["factor"]
    rotated = rope_parameters.proportional_pairs(config["partial_rotary_factor"], freqs.dim)
    return freqs.xp.where(freqs.index() < rotated, theta, freqs.xp.zeros_like(theta)), 1.0


def reverse_extrapolation(freqs, config, seq_len):
    original = config["original_max_position_embeddings"]
    shrink = original / seq_len if seq_len is not None and seq_len > original else 1.0
    return freqs.from_base(config["base"]) * shrink, 1.0


SCALERS = {
    "default": default, "linear": linear, "ntk": ntk, "ntk_alpha": ntk_alpha, "dynamic": dynamic, "yarn": yarn, "llama3": llama3,
    "longrope": longrope, "seed_scale": seed_scale, "seed_power": seed_power, "seed_polynomial": seed_polynomial,
    "reverse_extrapolation": reverse_extrapolation, "proportional": proportional,
}


@lru_cache(maxsize=1024)
def _power_dd(dim: int, base: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """b^(−2i/d) = exp(−(2i/d)·ln b) to 40 digits, split into the nearest float64 and the rest."""
    ln_base = _DECIMAL.ln(Decimal(base))
    hi, lo = [], []
    for i in range(dim // 2):
        theta = _DECIMAL.exp(_DECIMAL.multiply(ln_base, _DECIMAL.divide(-2 * i, dim)))
        hi.append(float(theta))
        lo.append(float(_DECIMAL.subtract(theta, Decimal(hi[-1]))))
    return tuple(hi), tuple(lo)


def angle_frequencies(xp, device, dim: int, base: float, config, seq_len):
    """(θ_hi, θ_lo, attention_factor), float64: plain θ as a double-double, so that an angle m·θ carries no
    error of θ's (float64 θ alone puts 2⁻⁵³·|mθ| into the angle: 2⁻²⁹ at m = 2²⁴, thousands of float32
    ulps where cos or sin is near 0); a scaled θ' as its float64 value (θ_lo = 0), whose own κ·u the
    error model budgets for."""
    if config is None or config["rope_type"] == "default":
        return (*Frequencies(xp, xp.float64, device, dim).from_base_dd(base), 1.0)
    theta, factor = frequencies(xp, xp.float64, device, dim, base, config, seq_len)
    return theta, xp.zeros_like(theta), factor


def frequencies(xp, dtype, device, dim: int, base: float, config, seq_len):
    """(inv_freq[dim/2] in ``dtype``, attention_factor) for a normalised config (``None``: plain RoPE)."""
    config = {"rope_type": "default", **(config or {}), "base": base}
    return SCALERS[config["rope_type"]](Frequencies(xp, dtype, device, dim), config, seq_len)
