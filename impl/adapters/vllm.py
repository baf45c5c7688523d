"""Target ``vllm``: vLLM's rotary embedding, ``vllm.model_executor.layers.rotary_embedding.get_rope`` (CUDA only).

What runs for each op, and the conventions this adapter converts:

* ``rope_apply``: ``get_rope(head_size, max_position, is_neox_style, rope_parameters, dtype)`` (or,
  in vLLM releases before ``rope_parameters``, ``get_rope(head_size, rotary_dim, max_position, base,
  is_neox_style, rope_scaling, dtype)``), built on the GPU, then its ``forward_cuda(positions,
  query, key)`` — vLLM's CUDA ``rotary_embedding`` op, which rotates query and key **in place**
  from the module's ``cos_sin_cache`` (computed in float32, cast to the query's dtype) and passes
  the dims after ``rotary_dim`` through. ``is_neox_style=True`` pairs (i, i + rotary_dim/2)
  (``layout="half"``), ``False`` pairs (2i, 2i+1) (``"interleaved"``). ``rope_parameters`` is the
  Hugging Face vocabulary plus ``rope_theta = base`` and ``partial_rotary_factor = rotary_dim /
  head_dim`` (a module whose ``rotary_dim`` comes out different is not provided).
* Layout: vLLM takes tokens first — x ``[..., seq, head_dim]`` becomes a fresh query ``[seq,
  batch · head_dim]`` (``num_tokens, num_heads · head_size``, the layout every vLLM release's op
  takes; a copy, since the op writes into it) with positions ``[seq]`` (int64) and a zero key of the
  same shape; the rotated query is reshaped and transposed back.
* The cache covers positions ``0 … max_position − 1``: the adapter passes ``max_position =
  max(positions) + 1`` (YaRN's cache covers ``ceil(L0·factor)`` rows instead; a position beyond a
  module's cache is not provided, never indexed) and clears ``get_rope``'s module memo after each
  call so that the GPU caches do not pile up; ``MAX_POSITION`` bounds a cache to 2^20 rows.
* Scalers: ``linear`` (``LinearScalingRotaryEmbedding``), ``llama3`` (``Llama3RotaryEmbedding``)
  and ``yarn`` (``YaRNScalingRotaryEmbedding``, Hugging Face's pair-index ramp, with the default
  attention factor 0.1·ln s + 1 only: ``mscale``/``mscale_all_dim``/``attention_factor`` set, or
  ``truncate=False`` on a vLLM without it, are not provided). Not provided: vLLM's ``ntk`` is
  kexue.fm's fixed NTK (θ_i·s^(−(2i+2)/d)), not bloc97's base b·s^(d/(d−2)) of the vocabulary;
  its ``dynamic`` uses the base for length L0·factor whatever the current length; its
  ``longrope`` switches factors from the positions, not from ``seq_len``; the suite's own
  additions have no counterpart.
* DTYPES: the kernel's float32/float16/bfloat16. No ``rope_frequencies`` (vLLM exposes cos/sin
  caches, not frequencies).
* ``attention``: vLLM's vendored flash-attn, ``vllm.vllm_flash_attn.flash_attn_varlen_func`` (what its FlashAttention
  backend calls with the model's ``alibi_slopes``), FA2 for ALiBi: see :func:`attention`. Written against the
  interface without a GPU to run it on (unverified).
"""

from __future__ import annotations

import inspect
from importlib.metadata import version

from impl.adapters import require
from spec import validation

torch = require("torch")
if not torch.cuda.is_available():
    raise ImportError("no CUDA device: vllm kernels run on CUDA only")
require("vllm", extra="cuda")
rotary_embedding = require("vllm.model_executor.layers.rotary_embedding", package="vllm", extra="cuda")

ARRAY_API = "torch"
DEVICE = "cuda"
DTYPES = ("float32", "float16", "bfloat16")
VERSIONS = {"vllm": version("vllm")}
ROPE_TYPES = ("default", "linear", "llama3", "yarn")  # the scalers whose vLLM class matches the vocabulary
MAX_POSITION = {"rope_apply": 2**20}

_NEW_API = "rope_parameters" in inspect.signature(rotary_embedding.get_rope).parameters
_KEYS = {
    "linear": ("factor",),
    "llama3": ("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"),
    "yarn": ("factor", "original_max_position_embeddings", "beta_fast", "beta_slow", "truncate"),
}


def _parameters(scaling: dict | None) -> dict | None:
    """The vocabulary's dict as vLLM's ``rope_parameters``/``rope_scaling`` (without theta)."""
    if scaling is None:
        return None
    rope_type = scaling["rope_type"]
    if rope_type not in _KEYS:
        raise NotImplementedError(f"rope_type {rope_type!r}: the adapter maps vLLM's linear, llama3 and yarn only "
                                  "(see the module docstring for why not the others)")
    if rope_type == "yarn":
        if any(scaling[key] is not None for key in ("mscale", "mscale_all_dim", "attention_factor")):
            raise NotImplementedError("YaRN with mscale/mscale_all_dim/attention_factor: only vLLM's default "
                                      "attention factor is mapped")
    return {"rope_type": rope_type, **{key: scaling[key] for key in _KEYS[rope_type]}}


def _rope(head_dim: int, rotary_dim: int, base: float, layout: str, scaling: dict | None, max_position: int, dtype):
    parameters = _parameters(scaling)
    neox = layout == "half"
    with torch.device(DEVICE):
        if _NEW_API:
            rope_parameters = {**(parameters or {"rope_type": "default"}), "rope_theta": base,
                               "partial_rotary_factor": rotary_dim / head_dim}
            rope = rotary_embedding.get_rope(head_dim, max_position, neox, rope_parameters, dtype)
        else:
            rope = rotary_embedding.get_rope(head_dim, rotary_dim, max_position, base, neox, parameters, dtype)
    rotary_embedding._ROPE_DICT.clear()  # get_rope memoises every module (and its GPU cache) by its arguments
    if rope.rotary_dim != rotary_dim:
        raise NotImplementedError(f"vLLM built rotary_dim {rope.rotary_dim} for partial_rotary_factor {rotary_dim}/{head_dim}")
    if scaling is not None and scaling["rope_type"] == "yarn" and getattr(rope, "truncate", True) != scaling["truncate"]:
        raise NotImplementedError("YaRN truncate=False: this vLLM always truncates the correction range")
    return rope


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    head_dim, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    seq = x.shape[-2]
    last = int(positions.max()) if seq else 0
    rope = _rope(head_dim, rd, base, layout, config, last + 1, x.dtype)
    if last >= rope.cos_sin_cache.shape[0]:
        raise NotImplementedError(f"position {last} is beyond vLLM's cos/sin cache of {rope.cos_sin_cache.shape[0]} rows")
    tokens_first = x.reshape(-1, seq, head_dim).transpose(0, 1)  # [seq, batch, head_dim]
    heads = tokens_first.shape[1]
    query = torch.empty((seq, heads * head_dim), dtype=x.dtype, device=x.device)  # [num_tokens, heads · head_size]
    query.view(seq, heads, head_dim).copy_(tokens_first)
    key = torch.zeros_like(query)
    with torch.no_grad():
        rotated, _ = rope.forward_cuda(positions.to(device=x.device, dtype=torch.int64), query, key)
    return rotated.reshape(seq, heads, head_dim).transpose(0, 1).reshape(x.shape)


# --- attention: the vendored flash_attn_varlen_func with alibi_slopes ----------------------------------------------
def attention(q, k, v, *, scale=None, causal=False, bias=None, slopes=None, q_positions=None, k_positions=None,
              t5_table=None, t5=None):
    """``vllm.vllm_flash_attn.flash_attn_varlen_func`` on one packed batch (``cu_seqlens`` of equal-length rows).

    Conventions: tokens first, ``(total_tokens, heads, D)``; rows packed with ``cu_seqlens_q``/``cu_seqlens_k`` (each
    row's lengths L and S, so the bottom-right alignment is per row, as vLLM's prefill has it); grouped-query heads
    native; ``alibi_slopes`` float32 ``(heads,)`` (given, or 2^(−8h/P) rounded once); ``fa_version=2`` where the
    function takes it (FA3 has no ALiBi). Positions: bottom-right, or the default moved by one common shift; no T5 or
    array bias; float16/bfloat16 and value_dim = head_dim (the kernel's constraints). Anything the installed function
    does not accept is "not provided".
    """
    import inspect

    from impl.adapters import _attention_bias as bias_of

    flash = require("vllm.vllm_flash_attn", package="vllm", extra="cuda")
    args = validation.attention_args(q, k, v, scale, causal, bias, slopes, q_positions, k_positions, t5_table, t5)
    accepted = inspect.signature(flash.flash_attn_varlen_func).parameters
    if args.bias not in (None, "alibi") or "alibi_slopes" not in accepted:
        raise NotImplementedError(f"bias={args.bias!r}: vLLM's flash-attn takes ALiBi slopes only")
    if q.dtype not in (torch.float16, torch.bfloat16) or args.value_dim != args.head_dim or not args.q_len or not args.k_len:
        raise NotImplementedError("vLLM's flash-attn runs float16/bfloat16 with value_dim = head_dim and non-empty rows")
    qp, kp = bias_of.positions(torch, args, q_positions, k_positions, q.device)
    default_q, default_k = bias_of.positions(torch, args, None, None, q.device)
    shift = int(kp[0] - default_k[0])
    if not (torch.equal(kp - shift, default_k) and torch.equal(qp - shift, default_q)):
        raise NotImplementedError("positions other than bottom-right (up to a common shift): the kernel infers them")
    b, device = args.batch, q.device
    cu_q = torch.arange(0, (b + 1) * args.q_len, args.q_len, dtype=torch.int32, device=device)
    cu_k = torch.arange(0, (b + 1) * args.k_len, args.k_len, dtype=torch.int32, device=device)
    extra = {"fa_version": 2} if "fa_version" in accepted else {}
    alibi = None if args.bias is None else bias_of.slopes_of(torch, args, slopes, torch.float32, device)
    tokens = [x.transpose(1, 2).reshape(-1, x.shape[1], x.shape[3]).contiguous() for x in (q, k, v)]
    with torch.no_grad():
        out = flash.flash_attn_varlen_func(tokens[0], tokens[1], tokens[2], max_seqlen_q=args.q_len, cu_seqlens_q=cu_q,
                                           max_seqlen_k=args.k_len, cu_seqlens_k=cu_k, softmax_scale=args.scale,
                                           causal=causal, alibi_slopes=alibi, **extra)
    return out.reshape(b, args.q_len, args.heads, args.value_dim).transpose(1, 2).contiguous()
