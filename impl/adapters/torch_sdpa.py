"""Target ``torch-sdpa``: ``torch.nn.functional.scaled_dot_product_attention`` with an additive float mask (CPU).

What runs, and the conventions this adapter converts:

* ``attention``: ``F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale, enable_gqa=...)`` on the
  protocol's layout ``[batch, heads, L, D]`` (SDPA's own). SDPA has no positions and no ALiBi or T5: the positional
  bias goes in as its additive float ``attn_mask`` — ``[B|1, H, L, S]``, formed by ``impl.adapters._attention_bias``
  in the working precision (float64 for float64 inputs, float32 otherwise: SDPA's CPU kernels accept a float32 mask for
  half-precision queries and add it in float32) — with −inf at every hidden key (the causal mask from the positions,
  bottom-right by default; never ``is_causal``, which is top-left, attention.md §1.3). Without a bias and a mask,
  ``attn_mask=None``.
* Grouped-query heads: ``enable_gqa=True`` (SDPA repeats each KV head heads/kv_heads times, repeat_interleave).
* DTYPES: float64, float32, float16, bfloat16 (CPU); the dispatcher picks the kernel (the CPU flash kernel for these
  shapes; the math path for float64).
"""

from __future__ import annotations

from importlib.metadata import version

from impl.adapters import _attention_bias as bias_of
from impl.adapters import require

torch = require("torch", extra="torch")

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16", "bfloat16")
VERSIONS = {"torch": version("torch")}


def attention(q, k, v, *, scale=None, causal=False, bias=None, slopes=None, q_positions=None, k_positions=None,
              t5_table=None, t5=None):
    args, qp, kp = bias_of.call_args(torch, q, k, v, scale, causal, bias, slopes, q_positions, k_positions, t5_table, t5)
    work = bias_of.working_dtype(torch, q.dtype)
    mask = bias_of.additive(torch, args, bias=bias, slopes=slopes, qp=qp, kp=kp, t5_table=t5_table, dtype=work,
                            device=q.device)
    shown = bias_of.visible(torch, args, qp, kp, bias)
    if shown is not None:
        mask = torch.zeros((), dtype=work, device=q.device) if mask is None else mask
        mask = torch.where(shown, mask, torch.tensor(-torch.inf, dtype=work, device=q.device))
    with torch.no_grad():
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=args.scale,
                                                                enable_gqa=args.groups > 1)
