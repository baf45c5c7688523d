r"""The project's reference ``attention`` (``spec.protocol.attention``), written once for any array API.

It computes what a careful fused kernel computes, in the order they apply it (attention.md §3.1):

* working precision w = float64 for float64 inputs, float32 otherwise (every kernel of the reference: flash-attn,
  SDPA, flex, xformers, vLLM), q, k, v widened to it exactly;
* scores scale·q·kᵀ in w, then the bias **added** in w: ALiBi in its relative form −m·|q_pos − k_pos| (positions as
  int64, their difference widened), slopes m = r^k as ``ArrayBackend.alibi_slopes`` forms them, in w; T5
  ``table[bucket(k_pos − q_pos), h]`` with the buckets of mesh-tensorflow's float64 log; an array as given (widened);
* invisible keys (causal k_pos > q_pos, or a −inf array entry) set to −inf; the stable softmax: the row maximum
  subtracted, exp, the sum, one division; an empty row is 0 (its maximum taken as 0, its sum as 1);
* P·V in w, rounded once to the input dtype.
Grouped-query heads: query head h reads KV head h // (heads/kv_heads) (``repeat_interleave``).
"""

from __future__ import annotations

import math

from impl.reference import alibi_slopes_in, t5_buckets
from spec import validation


def make_attention(xp):
    """The protocol's ``attention`` for the array namespace ``xp`` (array-api-compat); the inputs' device is kept."""

    def attention(q, k, v, *, scale=None, causal=False, bias=None, slopes=None, q_positions=None, k_positions=None,
                  t5_table=None, t5=None):
        args = validation.attention_args(q, k, v, scale, causal, bias, slopes, q_positions, k_positions, t5_table, t5)
        device = q.device
        work = xp.float64 if q.dtype == xp.float64 else xp.float32
        if args.k_len == 0:  # every row is empty
            return xp.zeros((args.batch, args.heads, args.q_len, args.value_dim), dtype=q.dtype, device=device)
        length_q, length_k = args.q_len, args.k_len
        if q_positions is None:
            q_positions = xp.arange(length_k - length_q, length_k, dtype=xp.int64, device=device)
        if k_positions is None:
            k_positions = xp.arange(length_k, dtype=xp.int64, device=device)
        qp, kp = xp.astype(q_positions, xp.int64), xp.astype(k_positions, xp.int64)
        kv_head = xp.arange(args.heads, device=device) // args.groups
        kw = xp.take(xp.astype(k, work), kv_head, axis=1)
        vw = xp.take(xp.astype(v, work), kv_head, axis=1)
        s = xp.matmul(xp.astype(q, work), xp.matrix_transpose(kw)) * xp.asarray(args.scale, dtype=work, device=device)

        visible = None
        if args.bias == "alibi":
            m = alibi_slopes_in(xp, args.heads, work, device) if slopes is None else xp.astype(slopes, work)
            distance = xp.astype(xp.abs(qp[:, None] - kp[None, :]), work)
            s = s - m[:, None, None] * distance
        elif args.bias == "t5":
            bucket = t5_buckets(xp, kp[None, :] - qp[:, None], *args.t5, xp.float64)
            table = xp.astype(t5_table, work)  # [num_buckets, heads]
            per_head = xp.take(table, xp.reshape(bucket, (-1,)), axis=0)  # [L·S, heads]
            s = s + xp.reshape(xp.permute_dims(per_head, (1, 0)), (args.heads, length_q, length_k))
        elif args.bias == "array":
            b = xp.astype(bias, work)
            visible = ~(xp.isinf(b) & (b < 0))  # −inf entries hide their keys
            s = s + b
        if causal:
            allowed = kp[None, :] <= qp[:, None]
            visible = allowed if visible is None else visible & allowed
        if visible is not None:
            visible = xp.broadcast_to(visible, s.shape)
            s = xp.where(visible, s, xp.asarray(-math.inf, dtype=work, device=device))
            count = xp.sum(xp.astype(visible, xp.int64), axis=-1, keepdims=True)
            row_max = xp.where(count > 0, xp.max(s, axis=-1, keepdims=True), xp.zeros_like(s[..., :1]))
        else:
            row_max = xp.max(s, axis=-1, keepdims=True)
        e = xp.exp(s - row_max)
        total = xp.sum(e, axis=-1, keepdims=True)
        p = e / xp.where(total > 0, total, xp.ones_like(total))
        return xp.astype(xp.matmul(p, vw), q.dtype)

    return attention
