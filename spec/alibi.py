r"""ALiBi (Press et al., arXiv 2108.12409): head slopes and the attention bias, exactly.

Slopes for n heads, n a power of 2: m_h = 2^(−8h/n), h = 1…n (a geometric series with first
term = ratio = 2^(−8/n)). Otherwise, with P = 2^⌊log₂ n⌋: slopes(P) followed by
slopes(2P)[0::2][:n−P] (the reference code of ofirpress/attention_with_linear_biases, Bloom, MPT).
Bias for query i at absolute position i₀ = k_len − q_len + i and key j: −m·(i₀ − j) for j ≤ i₀ and
−inf after (causal), or −m·|i₀ − j| (``causal=False``).
"""

from __future__ import annotations

import mpmath
import numpy as np

from spec import validation


def slope_powers(num_heads: int) -> tuple[np.ndarray, np.ndarray]:
    """(ratio exponent e, power k) per head with m_h = 2^(−e·k): e = 8/P for the main series, 4/P for the extras."""
    n = validation.integer("num_heads", num_heads, minimum=1)
    p = 1 << (n.bit_length() - 1)
    ratio = [8 / p] * p + [4 / p] * (n - p)
    power = list(range(1, p + 1)) + list(range(1, 2 * (n - p), 2))
    return np.array(ratio), np.array(power)


def alibi_slopes(num_heads):
    """Slopes correctly rounded to float64."""
    n = validation.integer("num_heads", num_heads, minimum=1)
    p = 1 << (n.bit_length() - 1)
    with mpmath.workprec(120):
        main = [mpmath.mpf(2) ** (-mpmath.mpf(8) * h / p) for h in range(1, p + 1)]
        extra = [mpmath.mpf(2) ** (-mpmath.mpf(8) * h / (2 * p)) for h in range(1, 2 * p + 1, 2)][: n - p]
        return np.array([float(s) for s in main + extra])


def query_positions(q_len: int, k_len: int) -> np.ndarray:
    """Absolute position of each query: the queries are the last q_len of the k_len keys."""
    return np.arange(q_len) + (k_len - q_len)


def alibi_bias(num_heads, q_len, k_len, *, causal=True):
    """``[num_heads, q_len, k_len]`` float64; −inf at masked entries."""
    validation.alibi_bias_args(num_heads, q_len, k_len, causal)
    distance = query_positions(q_len, k_len)[:, None] - np.arange(k_len)[None, :]
    slopes = alibi_slopes(num_heads)[:, None, None]
    if not causal:
        return -slopes * np.abs(distance)
    return np.where(distance >= 0, -slopes * distance, -np.inf)
