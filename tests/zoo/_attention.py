"""The correct textbook ``attention`` the attention zoo members start from (a shared helper, not a member).

:class:`Textbook` computes the protocol's op (``spec.protocol.attention``) in NumPy, in the working precision (float64
for float64 inputs, float32 otherwise), one piece per method; a member subclasses it and overrides the one method
that holds its bug, and exports ``attention = Member().attention``. Arguments are validated first (``spec.validation``).
"""

import math

import numpy as np

from spec import validation


class Textbook:
    # --- the pieces a member may break ----------------------------------------------------------------------
    def positions(self, q_len, k_len):
        """Default positions: bottom-right, the queries are the last q_len of the k_len keys."""
        return np.arange(k_len - q_len, k_len), np.arange(k_len)

    def position_values(self, positions, work):
        """Integer positions as the floats the bias is formed from."""
        return positions.astype(work)

    def slopes(self, heads, given, work):
        """The given slopes, or alibi_slopes(heads): 2^(−8h/P), then the interleaved ones."""
        if given is not None:
            return np.asarray(given, work)
        p = 1 << (heads.bit_length() - 1)
        powers = [8 * h / p for h in range(1, p + 1)] + [4 * (2 * j + 1) / p for j in range(heads - p)]
        return (2.0 ** -np.array(powers)).astype(work)

    def alibi(self, m, q_pos, k_pos, causal):
        """−m·|q − k| ``[heads, L, S]`` (q_pos, k_pos as floats)."""
        return -m[:, None, None] * np.abs(q_pos[:, None] - k_pos[None, :])[None]

    def t5_relative(self, q_pos, k_pos):
        """T5's relative position of key j for query i: k − q."""
        return k_pos[None, :] - q_pos[:, None]

    def scale(self, args, bias):
        """The softmax scale: the given one (1/√D when None, resolved by the validation)."""
        return args.scale

    def scores(self, q, k, scale, bias):
        """scale·q·kᵀ, then the bias added."""
        return scale * (q @ np.swapaxes(k, -1, -2)) + bias

    def kv_head(self, heads, groups, kv_heads):
        """The KV head of each query head: h // g (repeat_interleave)."""
        return np.arange(heads) // groups

    def visible(self, q_pos, k_pos, causal):
        """``[L, S]``: k ≤ q under a causal mask, every key otherwise."""
        return k_pos[None, :] <= q_pos[:, None] if causal else np.ones((len(q_pos), len(k_pos)), bool)

    def mask(self, s, visible):
        """Hidden entries at −inf."""
        return np.where(visible, s, -np.inf)

    def softmax(self, s):
        """The stable softmax over the last axis; a row without a visible key is 0."""
        peak = s.max(-1, keepdims=True, initial=-np.inf)
        e = np.exp(s - np.where(np.isneginf(peak), 0, peak))
        total = e.sum(-1, keepdims=True)
        return e / np.where(total > 0, total, 1)

    # --- the op ---------------------------------------------------------------------------------------------
    def attention(self, q, k, v, *, scale=None, causal=False, bias=None, slopes=None, q_positions=None,
                  k_positions=None, t5_table=None, t5=None):
        args = validation.attention_args(q, k, v, scale, causal, bias, slopes, q_positions, k_positions, t5_table, t5)
        work = np.float64 if q.dtype == np.float64 else np.float32
        default_q, default_k = self.positions(args.q_len, args.k_len)
        qp = default_q if q_positions is None else np.asarray(q_positions, np.int64)
        kp = default_k if k_positions is None else np.asarray(k_positions, np.int64)
        visible = np.broadcast_to(self.visible(qp, kp, causal), (args.batch, args.heads, args.q_len, args.k_len))
        added = np.zeros((1, args.heads, args.q_len, args.k_len), work)
        if args.bias == "alibi":
            m = self.slopes(args.heads, slopes, work)
            added = self.alibi(m, self.position_values(qp, work), self.position_values(kp, work), causal)[None]
        elif args.bias == "t5":
            bidirectional, buckets, max_distance = args.t5
            bucket = _t5_bucket(self.t5_relative(qp, kp), bidirectional, buckets, max_distance)
            added = np.moveaxis(np.asarray(t5_table, work)[bucket], -1, 0)[None]
        elif args.bias == "array":
            added = np.asarray(bias, work)
            visible = visible & ~np.isneginf(added)
        index = self.kv_head(args.heads, args.groups, args.kv_heads)
        keys, values = np.asarray(k, work)[:, index], np.asarray(v, work)[:, index]
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            s = self.scores(np.asarray(q, work), keys, work(self.scale(args, args.bias)), added)
            p = self.softmax(self.mask(s, visible))
        return (p @ values).astype(q.dtype)


def _t5_bucket(relative, bidirectional, buckets, max_distance):
    """mesh-tensorflow's bucket of relative = key − query (float64 log)."""
    n = -np.asarray(relative, np.int64)
    if bidirectional:
        buckets //= 2
        offset = np.where(n < 0, buckets, 0)
        n = np.abs(n)
    else:
        offset = np.zeros_like(n)
        n = np.maximum(n, 0)
    max_exact = buckets // 2
    with np.errstate(divide="ignore"):
        log_steps = np.log(np.maximum(n, max_exact) / max_exact) / math.log(max_distance / max_exact) * (buckets - max_exact)
    return offset + np.where(n < max_exact, n, np.minimum(max_exact + log_steps.astype(np.int64), buckets - 1))
