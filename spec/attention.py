r"""Attention with a positional bias (``spec.protocol.attention``), exactly: out = softmax(s)·v over the visible keys.

For query i (position q_i), key j (position k_j) and query head h (KV head h // g, g = heads/kv_heads):

* s_ij = scale·q_i·k_j + b_h(i, j), the bias **added** after the scale: ALiBi b = −m_h·|q_i − k_j| (m_h the
  given ``slopes`` or ``alibi_slopes(heads)``), T5 b = table[bucket(k_j − q_i), h] (``spec.t5``), an additive
  array as given (−inf entries hide their key), or 0;
* key j is visible to query i unless ``causal`` and k_j > q_i, or its array bias is −inf;
* p_ij = exp(s_ij − lse_i) over the visible keys, lse_i = M_i + ln Σ_j exp(s_ij − M_i) with M_i = max_j s_ij
  (the stable log-sum-exp; Blanchard, Higham & Higham 2021); a row with no visible key has p = 0, out = 0,
  lse = −inf;
* out_i = Σ_j p_ij·v_j.

Positions default to bottom-right: q = S − L + arange(L), k = arange(S) (the queries are the last L of the S
keys, as in flash-attn ≥ 2.1 and ``spec.alibi``).

Evaluation: every step in ``numpy.longdouble`` (x87 extended precision on x86-64: u = 2⁻⁶⁴, 2¹¹ times finer
than float64; where longdouble is float64 the error model's oracle term says so), the ALiBi slopes computed in
it (2^(−8h/P) and the interleave rule, not the float64 ``spec.alibi`` values), T5 buckets exactly (integers).
The results are rounded once to float64. ``spec.error_model.attention_oracle_error`` bounds what is left.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spec import t5 as t5_module
from spec import validation

EXTENDED = np.longdouble
#: Unit roundoff of the oracle's working precision.
U_EXTENDED = float(np.finfo(EXTENDED).eps) / 2


def default_positions(q_len: int, k_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Bottom-right alignment: (S − L + arange(L), arange(S)) as int64 (negative positions when L > S)."""
    return np.arange(q_len, dtype=np.int64) + (k_len - q_len), np.arange(k_len, dtype=np.int64)


def alibi_slopes(num_heads: int) -> np.ndarray:
    """m_h = 2^(−8h/P), h = 1…P (P = 2^⌊log₂ n⌋), then 2^(−4(2j+1)/P) for the n − P others, in extended precision."""
    n = validation.integer("num_heads", num_heads, minimum=1)
    p = 1 << (n.bit_length() - 1)
    exponents = [EXTENDED(-8 * h) / p for h in range(1, p + 1)] + [EXTENDED(-4 * (2 * j + 1)) / p for j in range(n - p)]
    return np.exp2(np.array(exponents, dtype=EXTENDED))


def slope_powers(num_heads: int) -> np.ndarray:
    """k per head with m_h = r^k (r = 2^(−8/P), or 2^(−4/P) for the interleaved heads): the slope error's count."""
    n = validation.integer("num_heads", num_heads, minimum=1)
    p = 1 << (n.bit_length() - 1)
    return np.array(list(range(1, p + 1)) + list(range(1, 2 * (n - p), 2)), dtype=np.int64)


def t5_buckets(q_positions, k_positions, t5) -> tuple[np.ndarray, np.ndarray]:
    """(exact, also acceptable) bucket ``[L, S]`` of k_j − q_i (``spec.t5``); ``t5`` = (bidirectional, buckets, max_distance)."""
    bidirectional, buckets, max_distance = t5
    relative = np.asarray(k_positions, np.int64)[None, :] - np.asarray(q_positions, np.int64)[:, None]
    return t5_module.t5_bucket(relative, bidirectional=bidirectional, num_buckets=buckets, max_distance=max_distance)


@dataclass(frozen=True)
class Result:
    """The oracle's quantities for one call, float64 (rounded once from extended precision).

    ``out`` [B, H, L, Dv]; ``probabilities`` [B, H, L, S] (0 at invisible keys); ``scores`` s [B, H, L, S] (−inf at
    invisible keys); ``bias`` b [B|1, H, L, S] (0 for none; −inf where an array hides a key); ``magnitude``
    a_ij = scale·Σ_d|q_id·k_jd| [B, H, L, S]; ``spread`` s_ij − M_i ≤ 0 at visible keys (−inf elsewhere); ``count`` visible keys per row [B, H, L]; ``lse`` [B, H, L] (−inf for an empty row);
    ``args`` the validated call; ``q_positions``/``k_positions`` the positions used.
    """

    out: np.ndarray
    probabilities: np.ndarray
    scores: np.ndarray
    bias: np.ndarray
    magnitude: np.ndarray
    spread: np.ndarray
    count: np.ndarray
    lse: np.ndarray
    args: validation.AttentionArgs
    q_positions: np.ndarray
    k_positions: np.ndarray


def evaluate(q, k, v, *, scale=None, causal=False, bias=None, slopes=None, q_positions=None, k_positions=None,
             t5_table=None, t5=None) -> Result:
    """Everything the properties and the error model read (NumPy inputs: their float64 values are the exact inputs)."""
    args = validation.attention_args(q, k, v, scale, causal, bias, slopes, q_positions, k_positions, t5_table, t5)
    default_q, default_k = default_positions(args.q_len, args.k_len)
    qp = default_q if q_positions is None else np.asarray(q_positions, np.int64)
    kp = default_k if k_positions is None else np.asarray(k_positions, np.int64)
    xq, xk, xv = (np.asarray(a, np.float64).astype(EXTENDED) for a in (q, k, v))
    xk, xv = np.repeat(xk, args.groups, axis=1), np.repeat(xv, args.groups, axis=1)  # head h reads KV head h // g

    scale_x = EXTENDED(1) / np.sqrt(EXTENDED(args.head_dim)) if scale is None else EXTENDED(args.scale)
    dot = np.einsum("bhid,bhjd->bhij", xq, xk)
    magnitude = np.einsum("bhid,bhjd->bhij", np.abs(xq), np.abs(xk)) * scale_x

    shape = (1, args.heads, args.q_len, args.k_len)
    if args.bias == "alibi":
        m = alibi_slopes(args.heads) if slopes is None else np.asarray(slopes, np.float64).astype(EXTENDED)
        distance = np.abs(qp[:, None] - kp[None, :]).astype(EXTENDED)
        b = -m[None, :, None, None] * distance[None, None]
    elif args.bias == "t5":
        exact, _ = t5_buckets(qp, kp, args.t5)
        table = np.asarray(t5_table, np.float64).astype(EXTENDED)
        b = np.moveaxis(table[exact], -1, 0)[None]  # [1, H, L, S]
    elif args.bias == "array":
        b = np.asarray(bias, np.float64).astype(EXTENDED)
        b = np.broadcast_to(b.reshape((1,) * (4 - b.ndim) + b.shape), (b.shape[0] if b.ndim == 4 else 1, *shape[1:]))
    else:
        b = np.zeros(shape, EXTENDED)
    visible = np.broadcast_to(~np.isneginf(b), (args.batch, *shape[1:]))
    if causal:
        visible = visible & (kp[None, :] <= qp[:, None])[None, None]

    with np.errstate(invalid="ignore"):  # −inf bias entries are invisible: their sum is never read
        s = np.where(visible, dot * scale_x + b, -np.inf)
    count = visible.sum(-1)
    row_max = np.where(count[..., None] > 0, s.max(-1, keepdims=True, initial=-np.inf), 0)
    spread = s - row_max
    e = np.exp(spread)
    total = e.sum(-1, keepdims=True)
    p = np.where(count[..., None] > 0, e / np.where(total > 0, total, 1), 0)
    out = np.einsum("bhij,bhjd->bhid", p, xv)
    lse = np.where(count > 0, row_max[..., 0] + np.log(np.where(total[..., 0] > 0, total[..., 0], 1)), -np.inf)
    as64 = [np.asarray(a, np.float64) for a in (out, p, s, b, magnitude, spread, lse)]
    return Result(*as64[:6], count, as64[6], args, qp, kp)


def attention(q, k, v, *, scale=None, causal=False, bias=None, slopes=None, q_positions=None, k_positions=None,
              t5_table=None, t5=None):
    """``out`` [batch, heads, L, Dv] in float64 (see the module docstring)."""
    return evaluate(q, k, v, scale=scale, causal=causal, bias=bias, slopes=slopes, q_positions=q_positions,
                    k_positions=k_positions, t5_table=t5_table, t5=t5).out
