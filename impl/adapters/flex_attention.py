"""Target ``flex-attention``: PyTorch's ``torch.nn.attention.flex_attention.flex_attention`` (eager, CPU).

What runs, and the conventions this adapter converts:

* ``attention``: ``flex_attention(q, k, v, score_mod=..., block_mask=..., scale=scale, enable_gqa=...)`` on the protocol's
  layout ``[batch, heads, L, D]`` (flex's own). flex passes ``score_mod(score, b, h, q_idx, kv_idx)`` the already
  scaled score (in float32 for half-precision inputs, float64 for float64) and 0-based tensor indices: it has no
  positions, so the adapter captures them (attention-gym's recipe, attention.md §1.2) — ALiBi
  ``score − m[h]·|q_pos[q_idx] − k_pos[kv_idx]|`` formed inside ``score_mod`` (slopes given, or 2^(−8h/P) rounded once
  to the working precision), T5 ``score + table[bucket[q_idx, kv_idx], h]`` (buckets by mesh-tensorflow's float32 log),
  an array ``score + bias[b, h, q_idx, kv_idx]`` (``impl.adapters._attention_bias``).
* Hidden keys go through ``mask_mod`` (a ``BlockMask`` from ``create_block_mask`` on the CPU): k_pos ≤ q_pos under a
  causal mask, and an array's −inf entries; flex gives a row without a visible key 0.
* Grouped-query heads: ``enable_gqa=True`` (query head h reads KV head h // (heads/kv_heads)); ``h`` in ``score_mod`` is
  the query head.
* Eager only (``torch.compile`` of flex on CPU takes ~30 s per shape, attention.md §1.2); flex warns that the eager path
  is unfused — silenced. Its eager call still goes through dynamo (``torch.compile(backend="eager")`` of the
  higher-order op), which retraces for every new shape (0.5 s a call); the adapter sets flex's own switch
  ``_FLEX_ATTENTION_DISABLE_COMPILE_DEBUG`` for the duration of a call, which runs the same ops (``math_attention``)
  without the tracing — no backward is needed. DTYPES: float64, float32, float16, bfloat16.
"""

from __future__ import annotations

import warnings
from importlib.metadata import version

from impl.adapters import _attention_bias as bias_of
from impl.adapters import require

torch = require("torch", extra="torch")
flex = require("torch.nn.attention.flex_attention", package="torch>=2.5", extra="torch")

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16", "bfloat16")
VERSIONS = {"torch": version("torch")}


def attention(q, k, v, *, scale=None, causal=False, bias=None, slopes=None, q_positions=None, k_positions=None,
              t5_table=None, t5=None):
    args, qp, kp = bias_of.call_args(torch, q, k, v, scale, causal, bias, slopes, q_positions, k_positions, t5_table, t5)
    work, device = bias_of.working_dtype(torch, q.dtype), q.device

    if args.bias == "alibi":
        m = bias_of.slopes_of(torch, args, slopes, work, device)

        def score_mod(score, b, h, q_idx, kv_idx):
            return score - m[h] * (qp[q_idx] - kp[kv_idx]).abs()
    elif args.bias == "t5":
        bucket = bias_of.t5_buckets(torch, kp[None, :] - qp[:, None], *args.t5)
        table = t5_table.to(device=device, dtype=work)

        def score_mod(score, b, h, q_idx, kv_idx):
            return score + table[bucket[q_idx, kv_idx], h]
    elif args.bias == "array":
        array = bias.to(device=device, dtype=work)
        array = torch.where(torch.isneginf(array), torch.zeros((), dtype=work), array)  # hidden through mask_mod
        array = (array if array.ndim == 4 else array[None]).expand(args.batch, args.heads, args.q_len, args.k_len)

        def score_mod(score, b, h, q_idx, kv_idx):
            return score + array[b, h, q_idx, kv_idx]
    else:
        score_mod = None

    block_mask = None
    shown = bias_of.visible(torch, args, qp, kp, bias)
    if shown is not None:
        shown = shown.expand(args.batch, args.heads, args.q_len, args.k_len)

        def mask_mod(b, h, q_idx, kv_idx):
            return shown[b, h, q_idx, kv_idx]

        block_mask = flex.create_block_mask(mask_mod, args.batch, args.heads, args.q_len, args.k_len, device=device)
    traced = flex._FLEX_ATTENTION_DISABLE_COMPILE_DEBUG
    flex._FLEX_ATTENTION_DISABLE_COMPILE_DEBUG = True
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # "flex_attention called without torch.compile()": the eager path is the point
            return flex.flex_attention(q, k, v, score_mod=score_mod, block_mask=block_mask, scale=args.scale,
                                       enable_gqa=args.groups > 1)
    finally:
        flex._FLEX_ATTENTION_DISABLE_COMPILE_DEBUG = traced
