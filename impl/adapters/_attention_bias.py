"""The protocol's positional bias as a kernel's user builds it (shared by the attention adapters; not a target).

Kernels without positions (SDPA's ``attn_mask``, xformers' tensor bias, flex's ``score_mod`` reading a table) take the
bias as numbers; these helpers form them from the protocol's arguments the way a careful user does — in the working
precision w (float64 for float64 inputs, float32 otherwise): positions as int64 (default bottom-right), ALiBi
−m·|q_pos − k_pos| with the given slopes or 2^(−8h/P) (and the interleave rule) computed in float64 and rounded once to
w, T5's bucket by mesh-tensorflow's formula (Hugging Face's, float32 log), visibility k_pos ≤ q_pos under a causal mask
and wherever an array bias is not −inf. Converting the protocol into a kernel's inputs is the adapters' job; the
kernel's own arithmetic is what the properties judge.
"""

from __future__ import annotations

import math

from spec import validation


def call_args(torch, q, k, v, scale, causal, bias, slopes, q_positions, k_positions, t5_table, t5):
    """(args, q_pos, k_pos) of a kernel call: the protocol's checks (``spec.validation``), no kernel call for empty
    sequences (NotImplementedError), and the positions as :func:`positions` gives them."""
    args = validation.attention_args(q, k, v, scale, causal, bias, slopes, q_positions, k_positions, t5_table, t5)
    if not args.q_len or not args.k_len:
        raise NotImplementedError("empty query or key sequences")
    return args, *positions(torch, args, q_positions, k_positions, q.device)


def working_dtype(torch, dtype):
    return torch.float64 if dtype == torch.float64 else torch.float32


def positions(torch, args, q_positions, k_positions, device):
    """(q_pos [L], k_pos [S]) as int64 on ``device``: the given ones, or bottom-right."""
    qp = torch.arange(args.k_len - args.q_len, args.k_len, device=device) if q_positions is None else q_positions
    kp = torch.arange(args.k_len, device=device) if k_positions is None else k_positions
    return qp.to(device=device, dtype=torch.int64), kp.to(device=device, dtype=torch.int64)


def alibi_slopes(torch, heads: int, dtype, device):
    """2^(−8h/P), h = 1…P, then 2^(−4(2j+1)/P) for the other heads: float64 powers of 2, rounded once to ``dtype``."""
    p = 1 << (heads.bit_length() - 1)
    exponents = [-8 * h / p for h in range(1, p + 1)] + [-4 * (2 * j + 1) / p for j in range(heads - p)]
    return torch.tensor([2.0**e for e in exponents], dtype=torch.float64, device=device).to(dtype)


def slopes_of(torch, args, slopes, dtype, device):
    return alibi_slopes(torch, args.heads, dtype, device) if slopes is None else slopes.to(device=device, dtype=dtype)


def t5_buckets(torch, relative, bidirectional: bool, buckets: int, max_distance: int):
    """mesh-tensorflow's bucket of relative = key − query, as Hugging Face's T5 computes it (float32 log)."""
    result = torch.zeros_like(relative)
    if bidirectional:
        buckets //= 2
        result = result + (relative > 0).to(torch.int64) * buckets
        relative = relative.abs()
    else:
        relative = -torch.minimum(relative, torch.zeros_like(relative))
    max_exact = buckets // 2
    large = max_exact + (torch.log(relative.float() / max_exact) / math.log(max_distance / max_exact)
                         * (buckets - max_exact)).to(torch.int64)
    large = torch.minimum(large, torch.full_like(large, buckets - 1))
    return result + torch.where(relative < max_exact, relative, large)


def visible(torch, args, qp, kp, bias):
    """Bool ``[B|1, H|1, L, S]``: k_pos ≤ q_pos under a causal mask, and an array bias not −inf; None if every key is."""
    shown = None
    if args.bias == "array":
        array = bias if bias.ndim == 4 else bias[None]
        shown = ~torch.isneginf(array)
    if args.causal:
        causal = (kp[None, :] <= qp[:, None])[None, None]
        shown = causal if shown is None else shown & causal
    return shown


def additive(torch, args, *, bias, slopes, qp, kp, t5_table, dtype, device):
    """The bias as an additive tensor ``[B|1, H, L, S]`` in ``dtype`` (None without a bias; −inf kept from an array)."""
    if args.bias == "alibi":
        m = slopes_of(torch, args, slopes, dtype, device)
        distance = (qp[:, None] - kp[None, :]).abs().to(dtype)
        return (-m[:, None, None] * distance)[None]
    if args.bias == "t5":
        bucket = t5_buckets(torch, kp[None, :] - qp[:, None], *args.t5)
        table = t5_table.to(device=device, dtype=dtype)
        return table[bucket].permute(2, 0, 1)[None]
    if args.bias == "array":
        array = bias.to(device=device, dtype=dtype)
        return array if array.ndim == 4 else array[None]
    return None
