"""Target ``xformers``: xFormers' ``xformers.ops.memory_efficient_attention`` with a tensor bias (CUDA only).

What runs, and the conventions this adapter converts:

* ``attention``: ``memory_efficient_attention(q, k, v, attn_bias=bias, scale=scale)`` — xFormers' dispatcher picks
  the kernel (cutlass or flash). Layout: xFormers takes BMHK ``[batch, L, heads, D]``; q, k, v are transposed in and
  the output back. xFormers has no positions and no ALiBi class (``LowerTriangularMask().add_bias(tensor)`` is how
  ALiBi is run, attention.md §1.4): the positional bias goes in as an additive tensor ``[B, H, L, S]`` formed by
  ``impl.adapters._attention_bias`` (ALiBi −m·|q_pos − k_pos|, T5's table, an array) with −inf at hidden keys (the causal
  mask from the positions, bottom-right by default — never ``LowerTriangularMask``, which is top-left), in the
  query's dtype (xFormers' tensor-bias dtype), allocated with its last dimension padded to a multiple of 8 and sliced
  (the kernels need every non-last stride aligned to 128 bits, attention.md §1.4).
* Grouped-query heads: not provided (xFormers takes them in its 5-D BMGHK layout only).
* DTYPES: float32, float16, bfloat16 (CUDA). Without a CUDA device the target is "unavailable".
"""

from __future__ import annotations

from importlib.metadata import version

from impl.adapters import _attention_bias as bias_of
from impl.adapters import require

torch = require("torch")
if not torch.cuda.is_available():
    raise ImportError("no CUDA device: xFormers' memory_efficient_attention kernels run on CUDA only")
fmha = require("xformers.ops", package="xformers", extra="cuda")

ARRAY_API = "torch"
DEVICE = "cuda"
DTYPES = ("float32", "float16", "bfloat16")
VERSIONS = {"xformers": version("xformers")}


def attention(q, k, v, *, scale=None, causal=False, bias=None, slopes=None, q_positions=None, k_positions=None,
              t5_table=None, t5=None):
    args, qp, kp = bias_of.call_args(torch, q, k, v, scale, causal, bias, slopes, q_positions, k_positions, t5_table, t5)
    if args.groups != 1:
        raise NotImplementedError("grouped-query heads: xFormers takes them in its 5-D BMGHK layout only")
    device, work = q.device, bias_of.working_dtype(torch, q.dtype)
    additive = bias_of.additive(torch, args, bias=bias, slopes=slopes, qp=qp, kp=kp, t5_table=t5_table, dtype=work,
                                device=device)
    shown = bias_of.visible(torch, args, qp, kp, bias)
    attn_bias = None
    if additive is not None or shown is not None:
        full = torch.zeros((args.batch, args.heads, args.q_len, args.k_len), dtype=work, device=device)
        full = full + additive if additive is not None else full
        if shown is not None:
            full = torch.where(shown, full, torch.tensor(-torch.inf, dtype=work, device=device))
        padded = torch.empty((args.batch, args.heads, args.q_len, -(-args.k_len // 8) * 8), dtype=q.dtype, device=device)
        attn_bias = padded[..., : args.k_len]
        attn_bias.copy_(full)
    with torch.no_grad():
        out = fmha.memory_efficient_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
                                              attn_bias=attn_bias, scale=args.scale)
    return out.transpose(1, 2).contiguous()
