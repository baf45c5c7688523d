"""Target ``flash-attn``: flash-attention's Triton rotary kernel (CUDA only).

What runs for each op, and the conventions this adapter converts:

* ``rope_apply``: ``flash_attn.layers.rotary.apply_rotary_emb(x, cos, sin, interleaved=...,
  inplace=False)`` — the Triton kernel ``flash_attn.ops.triton.rotary.apply_rotary``, which
  loads x and cos/sin as float32, rotates the first ``2 · cos.shape[-1] = rotary_dim`` dims
  (flash-attn's partial rotary; the rest is copied) and stores in x's dtype. ``interleaved=False``
  pairs (i, i + rotary_dim/2) (GPT-NeoX: ``layout="half"``), ``interleaved=True`` pairs (2i, 2i+1)
  (GPT-J: ``"interleaved"``). x ``[..., seq, head_dim]`` is passed as ``[batch, seq, 1, head_dim]``
  (the kernel's ``(batch, seqlen, nheads, headdim)``) and reshaped back; it asserts
  ``head_dim <= 256``.
* cos/sin ``[seq, rotary_dim / 2]`` are computed as ``flash_attn.layers.rotary.RotaryEmbedding.
  _update_cos_sin_cache`` computes its table — ``inv_freq`` of ``RotaryEmbedding(rotary_dim,
  base)`` (float32), ``torch.outer(t, inv_freq)`` with float32 positions t, ``cos``/``sin`` cast to
  x's dtype — but for the given positions only (row k for the k-th position, ``seqlen_offsets=0``)
  instead of a table of every position up to the largest.
* ``rope_frequencies``: ``RotaryEmbedding(rotary_dim, base).inv_freq``; attention factor 1.
* No scaler (flash-attn's ``RotaryEmbedding`` offers xPos only): every ``scaling`` is not provided.
  DTYPES: the kernel's float32/float16/bfloat16 (it computes in float32; float64 is not offered).
* ``attention``: ``flash_attn.flash_attn_func`` with ``alibi_slopes`` (float16/bfloat16 only; bottom-right positions;
  no T5 or array bias): see :func:`attention`.
"""

from __future__ import annotations

from importlib.metadata import version

from impl.adapters import require
from spec import validation

torch = require("torch")
if not torch.cuda.is_available():
    raise ImportError("no CUDA device: flash-attn kernels run on CUDA only")
require("flash_attn", package="flash-attn", extra="cuda")
from flash_attn.layers.rotary import RotaryEmbedding, apply_rotary_emb

ARRAY_API = "torch"
DEVICE = "cuda"
DTYPES = ("float32", "float16", "bfloat16")
VERSIONS = {"flash-attn": version("flash-attn")}


def rope_frequencies(rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
    dim, base = validation.rope_frequencies_args(rotary_dim, base, scaling, seq_len)
    return RotaryEmbedding(dim, base=base, device=DEVICE).inv_freq, 1.0


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    head_dim, rd, base = validation.rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    interleaved = layout == "interleaved"
    module = RotaryEmbedding(rd, base=base, interleaved=interleaved, device=x.device)
    with torch.no_grad():
        freqs = torch.outer(positions.to(device=x.device, dtype=torch.float32), module.inv_freq)
        cos, sin = torch.cos(freqs).to(x.dtype), torch.sin(freqs).to(x.dtype)
        seq = x.shape[-2]
        out = apply_rotary_emb(x.reshape(-1, seq, 1, head_dim), cos, sin, interleaved=interleaved, inplace=False)
    return out.reshape(x.shape)


# --- attention: flash_attn_func with alibi_slopes -----------------------------------------------------------------
def attention(q, k, v, *, scale=None, causal=False, bias=None, slopes=None, q_positions=None, k_positions=None,
              t5_table=None, t5=None):
    """``flash_attn.flash_attn_func(q, k, v, softmax_scale=scale, causal=causal, alibi_slopes=m)`` (flash-attn 2).

    Conventions: layout ``(batch, L, heads, D)`` (transposed in and out); grouped-query heads native (kv_heads divides
    heads). Positions are implicit and bottom-right (flash-attn ≥ 2.1): explicit positions are provided when they are
    the default ones moved by one common shift (which changes nothing), else not. ALiBi: ``alibi_slopes`` float32
    ``(heads,)`` — the given slopes, or 2^(−8h/P) computed in float64 and rounded once — which the kernel adds as
    +m·j under a causal mask (key-only) and −m·|i + S − L − j| without. No T5 and no array bias (not provided); value
    and head dims equal (the kernel's constraint). DTYPES of the kernel: float16, bfloat16.
    """
    from flash_attn import flash_attn_func

    from impl.adapters import _attention_bias as bias_of

    args = validation.attention_args(q, k, v, scale, causal, bias, slopes, q_positions, k_positions, t5_table, t5)
    if args.bias not in (None, "alibi"):
        raise NotImplementedError(f"bias={args.bias!r}: flash-attn 2 offers ALiBi slopes only")
    if q.dtype not in (torch.float16, torch.bfloat16):
        raise NotImplementedError(f"dtype {q.dtype}: flash-attn 2 runs float16 and bfloat16 only")
    if args.value_dim != args.head_dim or args.head_dim > 256:
        raise NotImplementedError("flash-attn 2 needs value_dim = head_dim ≤ 256")
    qp, kp = bias_of.positions(torch, args, q_positions, k_positions, q.device)
    default_q, default_k = bias_of.positions(torch, args, None, None, q.device)
    shift = int(kp[0] - default_k[0]) if args.k_len else 0
    if not (torch.equal(kp - shift, default_k) and torch.equal(qp - shift, default_q)):
        raise NotImplementedError("positions other than bottom-right (up to a common shift): flash-attn infers them")
    alibi = None if args.bias is None else bias_of.slopes_of(torch, args, slopes, torch.float32, q.device)
    with torch.no_grad():
        out = flash_attn_func(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), softmax_scale=args.scale,
                              causal=causal, alibi_slopes=alibi)
    return out.transpose(1, 2).contiguous()
