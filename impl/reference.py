r"""The project's reference implementation of the target protocol, written once for any array API.

It computes the textbook formulas the way the libraries do — except for the RoPE and sinusoidal
angles — so its accuracy is what the error model (``spec.error_model``) promises for a careful
implementation, and its cos/sin are as accurate as their dtype allows (``tests/meta/test_fidelity.py``):

* angles exact to float64's precision whatever the dtype: m·θ_i is formed and reduced modulo 2π in
  double-double (plain θ_i itself a double-double, ``impl.scaling``) and cos/sin are evaluated in
  float64 on the reduced phase (|φ| ≤ π, its tail added to first order), within 2 float64 ulps and
  2⁻¹⁰⁰·|mθ| of the exact values at every position |m| < 2⁵³; one rounding to float32 is then correct except for about 1 value in
  2²⁷ (1 ulp off). Angles m·θ in float32 are off by up to 2⁻²⁴·|mθ| (0.5 rad at m = 2²³), in
  float64 by 2⁻⁵³·|mθ|: fine absolutely, but thousands of float32 ulps where cos or sin is near 0;
* rope_apply multiplies cos/sin by the attention factor in float64 and rounds them once to x's dtype
  (Hugging Face's recipe, without its float32 detour: float16/bfloat16 cos/sin are the correctly
  rounded values); the rotation is done in x's dtype for float64 and float32, in float32 for float16
  and bfloat16 — there the products of two half-precision numbers are exact, so the result is rounded
  twice in all (the sum in float32, then to x's dtype) instead of three times in x's dtype;
* tables without an input array (sinusoidal, slopes, biases) come back in the backend's default
  float dtype (float64 for NumPy, float32 for torch), the sinusoidal one rounded once from float64;
* ALiBi slopes as powers of the ratio (Bloom/MPT), T5 buckets through the float log (mesh-tensorflow).
"""

from __future__ import annotations

import math
from fractions import Fraction

from impl import scaling as scaling_module
from spec import rope_parameters, validation
from spec.protocol import OPS

_SPLITTER = 134217729.0  # 2^27 + 1: Dekker's splitting constant for float64
_TWO_PI = (6.283185307179586, 2.4492935982947064e-16)  # 2π as a double-double (to 2⁻¹⁰⁷ relative)


def _split(a):
    """(hi, lo) with hi + lo = a and both halves of 26 bits, so their products are exact."""
    t = _SPLITTER * a
    hi = t - (t - a)
    return hi, a - hi


_TWO_PI_SPLIT = _split(_TWO_PI[0])


#: Every extension of the vocabulary (spec.rope_parameters) is implemented here.
EXTENSIONS = rope_parameters.EXTENSIONS


def alibi_slopes_in(xp, heads: int, dtype, device):
    """m_h = r^k in ``dtype`` (Bloom/MPT's ratio powers): 2^(−8/P) for h = 1…P, then 2^(−4/P) to odd powers."""
    p = 1 << (heads.bit_length() - 1)

    def series(ratio_exponent: float, powers):
        ratio = xp.asarray(2.0 ** (-ratio_exponent), dtype=dtype, device=device)
        return ratio ** xp.asarray(powers, dtype=dtype, device=device)

    main = series(8 / p, list(range(1, p + 1)))
    if heads == p:
        return main
    return xp.concat([main, series(4 / p, list(range(1, 2 * (heads - p), 2)))])


def t5_buckets(xp, relative_position, bidirectional: bool, buckets: int, max_distance: int, log_dtype):
    """mesh-tensorflow's bucket of relative = key − query (validated), its log taken in ``log_dtype``."""
    n = -xp.astype(relative_position, xp.int64)
    if bidirectional:
        buckets //= 2
        offset = xp.where(n < 0, buckets, 0)
        n = xp.abs(n)
    else:
        offset = xp.zeros_like(n)
        n = xp.maximum(n, xp.zeros_like(n))
    max_exact = buckets // 2
    ratio = xp.astype(xp.maximum(n, xp.full_like(n, max_exact)), log_dtype) / max_exact
    log_steps = xp.log(ratio) / math.log(max_distance / max_exact) * (buckets - max_exact)
    large = xp.minimum(max_exact + xp.astype(log_steps, xp.int64), xp.full_like(n, buckets - 1))
    return offset + xp.where(n < max_exact, n, large)


class ArrayBackend:
    """All protocol ops for one array namespace ``xp`` (array-api-compat) on one device."""

    def __init__(self, xp, *, device=None, float_dtype=None):
        self.xp = xp
        self.device = device
        self.float_dtype = float_dtype

    def ops(self) -> tuple:
        """The protocol's ops as bound methods, in ``spec.protocol.OPS`` order (``attention``: ``impl/attention.py``)."""
        return tuple(getattr(self, op) for op in OPS if op != "attention")

    # --- helpers ----------------------------------------------------------------------------------
    def _cos_sin(self, positions, theta_hi, theta_lo):
        """cos(mθ), sin(mθ) in float64, ``[seq, d/2]``, for θ = hi + lo and integer positions m.

        m·hi is split exactly into p + e (Dekker), p − k·2π is exact (Sterbenz), and the tails (e, m·lo,
        k·2π's) are summed into r_lo: the reduced phase r_hi + r_lo is within 2⁻¹⁰⁰·|mθ| of m·θ mod 2π.
        cos(r_hi + r_lo) = cos r_hi − sin r_hi·r_lo to 2⁻¹⁰⁴ (|r_lo| ≤ 2⁻⁵²).
        """
        xp = self.xp
        m = xp.astype(positions, xp.float64)
        (mh, ml), (th, tl) = _split(m), _split(theta_hi)  # split the 1-D factors, not the grid
        m, mh, ml = m[:, None], mh[:, None], ml[:, None]
        p = m * theta_hi
        e = ((mh * th - p) + mh * tl + ml * th) + ml * tl + m * theta_lo
        k = xp.round(p / _TWO_PI[0])
        (kh, kl), (ch, cl) = _split(k), _TWO_PI_SPLIT
        kc = k * _TWO_PI[0]
        kc_err = ((kh * ch - kc) + kh * cl + kl * ch) + kl * cl
        reduced, tail = p - kc, (e - kc_err) - k * _TWO_PI[1]
        r_hi = reduced + tail
        bb = r_hi - reduced
        r_lo = (reduced - (r_hi - bb)) + (tail - bb)
        cos, sin = xp.cos(r_hi), xp.sin(r_hi)
        return cos - sin * r_lo, sin + cos * r_lo

    def _pair_cos_sin(self, positions, theta_hi, theta_lo, config):
        """cos/sin ``[seq, d/2]`` of each pair at the position of its row: M-RoPE picks row a(i) for pair i."""
        axes = rope_parameters.axis_map(config, theta_hi.shape[0])
        if axes is None:
            return self._cos_sin(positions if len(positions.shape) == 1 else positions[0], theta_hi, theta_lo)
        xp = self.xp
        rows = [positions] * 3 if len(positions.shape) == 1 else [positions[a] for a in range(3)]
        tables = [self._cos_sin(row, theta_hi, theta_lo) for row in rows]
        pick = xp.asarray(axes, device=self.device)
        cos = xp.where(pick == 0, tables[0][0], xp.where(pick == 1, tables[1][0], tables[2][0]))
        sin = xp.where(pick == 0, tables[0][1], xp.where(pick == 1, tables[1][1], tables[2][1]))
        return cos, sin

    def _round_once(self, values, dtype):
        """Float64 ``values`` rounded once to ``dtype``.

        torch's and ml_dtypes' float64 → float16/bfloat16 casts go through float32 and so round twice:
        when the float32 value lands exactly on a midpoint of ``dtype`` (and the value was not on it),
        the tie is broken towards the value by rounding its float32 neighbour on that side instead.
        """
        xp = self.xp
        if dtype in (xp.float64, xp.float32):
            return xp.astype(values, dtype, copy=False)
        near = xp.astype(values, xp.float32)
        wide = xp.astype(near, xp.float64)
        infinity = xp.asarray(math.inf, dtype=xp.float32, device=self.device)
        beyond = xp.nextafter(near, xp.where(wide < values, infinity, -infinity))
        rounded, other = xp.astype(near, dtype), xp.astype(beyond, dtype)
        tie = (wide != values) & (xp.abs(wide - xp.astype(rounded, xp.float64)) == xp.abs(xp.astype(other, xp.float64) - wide))
        return xp.where(tie, other, rounded)

    @staticmethod
    def _merge_pairs(xp, first, second, layout: str):
        if layout in ("half", "concat"):
            return xp.concat([first, second], axis=-1)
        stacked = xp.stack([first, second], axis=-1)
        return xp.reshape(stacked, (*stacked.shape[:-2], 2 * stacked.shape[-2]))

    # --- protocol ---------------------------------------------------------------------------------
    def sinusoidal(self, positions, dim, *, base=10000.0, layout="interleaved"):
        dim, base, layout = validation.sinusoidal_args(positions, dim, base, layout)
        xp = self.xp
        hi, lo, _ = scaling_module.angle_frequencies(xp, self.device, dim, base, None, None)
        cos, sin = self._cos_sin(positions, hi, lo)
        return xp.astype(self._merge_pairs(xp, sin, cos, layout), self.float_dtype, copy=False)

    def rope_frequencies(self, rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
        dim, base, config = validation.scaled_rope_frequencies_args(rotary_dim, base, scaling, seq_len)
        return scaling_module.frequencies(self.xp, self.float_dtype, self.device, dim, base, config, seq_len)

    def rope_apply(self, x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
        _, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len,
                                                                      multi_axis=True)
        xp = self.xp
        hi, lo, factor = scaling_module.angle_frequencies(xp, self.device, rd, base, config, seq_len)
        cos, sin = self._pair_cos_sin(positions, hi, lo, config)
        work = xp.float64 if x.dtype == xp.float64 else xp.float32
        cos, sin = (xp.astype(self._round_once(v * factor, x.dtype), work, copy=False) for v in (cos, sin))
        rotated = self._rotate(x, cos, sin, layout, rd)
        if rd == x.shape[-1]:  # full rotary: no pass-through to append (saves a copy of the whole tensor)
            return rotated
        return xp.concat([rotated, x[..., rd:]], axis=-1)

    def _rotate(self, x, cos, sin, layout: str, rd: int):
        """R₂ of each pair of x's first ``rd`` lanes by its (cos, sin), in cos's dtype, cast back to x's."""
        xp = self.xp
        if layout == "half":
            x1, x2 = x[..., : rd // 2], x[..., rd // 2 : rd]
        else:
            x1, x2 = x[..., 0:rd:2], x[..., 1:rd:2]
        x1, x2 = xp.astype(x1, cos.dtype, copy=False), xp.astype(x2, cos.dtype, copy=False)
        return xp.astype(self._merge_pairs(xp, x1 * cos - x2 * sin, x2 * cos + x1 * sin, layout), x.dtype, copy=False)

    def axial_rope_apply(self, x, positions, *, base=10000.0, layout="half"):
        head_dim, base, layout = validation.axial_rope_apply_args(x, positions, base, layout)
        xp = self.xp
        hi, lo, _ = scaling_module.angle_frequencies(xp, self.device, head_dim // 2, base, None, None)  # one axis's ladder
        (cos_h, sin_h), (cos_w, sin_w) = self._cos_sin(positions[0], hi, lo), self._cos_sin(positions[1], hi, lo)
        work = xp.float64 if x.dtype == xp.float64 else xp.float32
        cos, sin = (xp.astype(self._round_once(xp.concat(pair, axis=-1), x.dtype), work, copy=False)
                    for pair in ((cos_h, cos_w), (sin_h, sin_w)))
        return self._rotate(x, cos, sin, layout, head_dim)

    def mrope_positions(self, segments, *, spatial_merge_size=2, tokens_per_second=None):
        segments, merge, tps = validation.mrope_positions_args(segments, spatial_merge_size, tokens_per_second)
        xp = self.xp
        pieces, start = [], 0
        for kind, size, seconds in segments:
            if kind == "text":
                piece = xp.stack([xp.arange(start, start + size, dtype=xp.int64, device=self.device)] * 3)
            else:
                frames, height, width = size[0], size[1] // merge, size[2] // merge
                # ⌊k·tps·spg⌋ in exact rationals: a float product can land a hair below an integer
                interval = Fraction(1) if kind == "image" or tps is None else Fraction(tps) * Fraction(seconds)
                t = xp.asarray([(k * interval).numerator // (k * interval).denominator for k in range(frames)],
                               dtype=xp.int64, device=self.device)
                grid = [xp.reshape(v, (-1,)) for v in xp.meshgrid(t, xp.arange(height, dtype=xp.int64, device=self.device),
                                                                   xp.arange(width, dtype=xp.int64, device=self.device),
                                                                   indexing="ij")]
                piece = xp.stack(grid) + start
            pieces.append(piece)
            start = int(xp.max(piece)) + 1
        return xp.concat(pieces, axis=1)

    def xpos_apply(self, x, positions, *, role, base=10000.0, layout="half", scale_base=512.0):
        head_dim, role, base, layout, scale_base = validation.xpos_apply_args(x, positions, role, base, layout, scale_base)
        xp = self.xp
        hi, lo, _ = scaling_module.angle_frequencies(xp, self.device, head_dim, base, None, None)
        cos, sin = self._cos_sin(positions, hi, lo)
        pair = xp.arange(head_dim // 2, dtype=xp.float64, device=self.device)
        log_zeta = xp.log((10 * pair + 2 * head_dim) / (7 * head_dim))  # ζ_i = (2i/d + 0.4)/1.4
        sign = 1.0 if role == "query" else -1.0
        scale = xp.exp(sign * xp.astype(positions, xp.float64)[:, None] / scale_base * log_zeta)
        work = xp.float64 if x.dtype == xp.float64 else xp.float32
        return self._rotate(x, xp.astype(cos * scale, work), xp.astype(sin * scale, work), layout, head_dim)

    def attention_scale(self, positions, head_dim, *, scaling=None, softmax_mscale=False, temperature=None):
        dim, config, softmax_mscale, temperature = validation.attention_scale_args(positions, head_dim, scaling,
                                                                                   softmax_mscale, temperature)
        xp = self.xp
        constant = 1 / math.sqrt(dim)
        if softmax_mscale and config is not None and config["rope_type"] == "yarn" and config["mscale_all_dim"]:
            constant *= scaling_module.mscale(config["factor"], config["mscale_all_dim"]) ** 2
        scale = xp.full(positions.shape, constant, dtype=self.float_dtype, device=self.device)
        m = xp.astype(positions, xp.int64)
        steps = []
        if config is not None and config.get("llama_4_scaling_beta") is not None:  # Ministral 3
            steps.append((config["llama_4_scaling_beta"], config["original_max_position_embeddings"], 0))
        if temperature is not None:  # Llama 4's NoPE layers
            steps.append((*temperature, 1))
        for slope, period, shift in steps:
            scale = scale * (1 + slope * xp.log1p(xp.astype((m + shift) // period, self.float_dtype)))
        return scale

    def alibi_slopes(self, num_heads):
        n = validation.integer("num_heads", num_heads, minimum=1)
        return alibi_slopes_in(self.xp, n, self.float_dtype, self.device)

    def alibi_bias(self, num_heads, q_len, k_len, *, causal=True):
        validation.alibi_bias_args(num_heads, q_len, k_len, causal)
        xp = self.xp
        keys = xp.arange(k_len, dtype=self.float_dtype, device=self.device)
        queries = keys[k_len - q_len :] if q_len <= k_len else xp.arange(k_len - q_len, k_len, dtype=self.float_dtype, device=self.device)
        distance = queries[:, None] - keys[None, :]
        slopes = self.alibi_slopes(num_heads)[:, None, None]
        if not causal:
            return -slopes * xp.abs(distance)
        return xp.where(distance >= 0, -slopes * distance, xp.asarray(-math.inf, dtype=self.float_dtype, device=self.device))

    def t5_bucket(self, relative_position, *, bidirectional=True, num_buckets=32, max_distance=128):
        validation.t5_bucket_args(relative_position, bidirectional, num_buckets, max_distance)
        return t5_buckets(self.xp, relative_position, bidirectional, num_buckets, max_distance, self.float_dtype)

    def learned_absolute(self, table, positions):
        validation.learned_absolute_args(table, positions)
        return self.xp.take(table, positions, axis=0)
