r"""The project's reference implementation of the target protocol, written once for any array API.

It computes the textbook formulas the way the libraries do, so its accuracy is what the error model
(``spec.error_model``) promises for a careful implementation:

* angles m·θ_i in float64 for float64 inputs, else float32 (θ_i = 1 / b^(2i/d)); cos/sin are cast to
  the input's dtype and the rotation is done in that dtype (Hugging Face's recipe);
* tables without an input array (sinusoidal, slopes, biases) come back in the backend's default
  float dtype (float64 for NumPy, float32 for torch);
* ALiBi slopes as powers of the ratio (Bloom/MPT), T5 buckets through the float log (mesh-tensorflow).
"""

from __future__ import annotations

import math

from impl import scaling as scaling_module
from spec import validation
from spec.protocol import OPS


class ArrayBackend:
    """All protocol ops for one array namespace ``xp`` (array-api-compat) on one device."""

    def __init__(self, xp, *, device=None, float_dtype=None):
        self.xp = xp
        self.device = device
        self.float_dtype = float_dtype

    def ops(self) -> tuple:
        """The protocol's ops as bound methods, in ``spec.protocol.OPS`` order."""
        return tuple(getattr(self, op) for op in OPS)

    # --- helpers ----------------------------------------------------------------------------------
    def _angle_dtype(self, dtype):
        xp = self.xp
        return xp.float64 if dtype == xp.float64 else xp.float32

    def _inv_freq(self, dim: int, base: float, dtype):
        return scaling_module.frequencies(self.xp, dtype, self.device, dim, base, None, None)[0]

    def _angles(self, positions, inv_freq):
        return self.xp.astype(positions, inv_freq.dtype)[:, None] * inv_freq[None, :]

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
        angles = self._angles(positions, self._inv_freq(dim, base, self.float_dtype))
        return self._merge_pairs(xp, xp.sin(angles), xp.cos(angles), layout)

    def rope_frequencies(self, rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
        dim, base, config = validation.scaled_rope_frequencies_args(rotary_dim, base, scaling, seq_len)
        return scaling_module.frequencies(self.xp, self.float_dtype, self.device, dim, base, config, seq_len)

    def rope_apply(self, x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
        _, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
        xp = self.xp
        dtype = self._angle_dtype(x.dtype)
        inv_freq, factor = scaling_module.frequencies(xp, dtype, self.device, rd, base, config, seq_len)
        angles = self._angles(positions, inv_freq)
        cos, sin = xp.astype(xp.cos(angles) * factor, x.dtype), xp.astype(xp.sin(angles) * factor, x.dtype)
        if layout == "half":
            x1, x2 = x[..., : rd // 2], x[..., rd // 2 : rd]
        else:
            x1, x2 = x[..., 0:rd:2], x[..., 1:rd:2]
        rotated = self._merge_pairs(xp, x1 * cos - x2 * sin, x2 * cos + x1 * sin, layout)
        return xp.concat([rotated, x[..., rd:]], axis=-1)

    def alibi_slopes(self, num_heads):
        n = validation.integer("num_heads", num_heads, minimum=1)
        xp = self.xp
        p = 1 << (n.bit_length() - 1)

        def series(ratio_exponent: float, powers):
            ratio = xp.asarray(2.0 ** (-ratio_exponent), dtype=self.float_dtype, device=self.device)
            return ratio ** xp.asarray(powers, dtype=self.float_dtype, device=self.device)

        main = series(8 / p, list(range(1, p + 1)))
        if n == p:
            return main
        return xp.concat([main, series(4 / p, list(range(1, 2 * (n - p), 2)))])

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
        buckets, max_exact = validation.t5_bucket_args(relative_position, bidirectional, num_buckets, max_distance)
        xp = self.xp
        n = -xp.astype(relative_position, xp.int64)
        if bidirectional:
            buckets //= 2
            offset = xp.where(n < 0, buckets, 0)
            n = xp.abs(n)
        else:
            offset = xp.zeros_like(n)
            n = xp.maximum(n, xp.zeros_like(n))
        ratio = xp.astype(xp.maximum(n, xp.full_like(n, max_exact)), self.float_dtype) / max_exact
        log_steps = xp.log(ratio) / math.log(max_distance / max_exact) * (buckets - max_exact)
        large = xp.minimum(max_exact + xp.astype(log_steps, xp.int64), xp.full_like(n, buckets - 1))
        return offset + xp.where(n < max_exact, n, large)

    def learned_absolute(self, table, positions):
        validation.learned_absolute_args(table, positions)
        return self.xp.take(table, positions, axis=0)
