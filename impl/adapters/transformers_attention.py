"""Target ``transformers-attention``: the eager attention paths of Hugging Face models that carry a positional bias.

Each case goes to the model whose own code computes it (transformers' real modules and functions; only conventions are
converted). Per bias:

* ``"alibi"`` → Bloom (``BloomAttention.forward`` with ``build_alibi_tensor``: Bloom's float32 slopes times the key
  index from the mask's cumsum, key-only m·k, cast to the model dtype, added to ``baddbmm``'s scaled scores in the
  model dtype; softmax in float32). The variants ``transformers-attention-falcon`` (``FalconAttention``, its own
  ``build_alibi_tensor`` with the slopes and their product in bfloat16) and ``transformers-attention-mpt``
  (``MptAttention`` with ``build_mpt_alibi_tensor``, slopes·(k − S + 1), float32) run the same case through the other
  two models. Decoders only: causal, default slopes (each model computes its own), contiguous key positions (the key
  index is the position), else "not provided".
* ``"t5"`` → T5 (``T5Attention.compute_bias``: ``_relative_position_bucket`` of k − q (float32 log) and the
  ``relative_attention_bias`` embedding holding the table, in the model dtype; then ``t5.modeling_t5.
  eager_attention_forward`` with ``scaling`` = the protocol's scale, the bias added, softmax in the model dtype).
  T5 positions are ``arange(S)`` for keys and ``past_seen_tokens + arange(L)`` for queries: the adapter passes
  past_seen_tokens = q₀ − k₀ for contiguous positions (else not provided); ``bidirectional`` is the encoder's
  (``is_decoder=False``), unidirectional the decoder's.
* an array, or no bias → MPT (``MptAttention.forward`` with ``position_bias`` = the array ``[H|1, L, S]``; a batch of
  arrays is not provided); the array's −inf entries become MPT's boolean mask.

Conventions converted: q, k, v ``[B, H, L, D]`` reach the modules through their own fused projection — the module's
``query_key_value``/``Wqkv`` replaced by a fixed output holding q and the last L keys and values in the module's fused
layout, the first S − L keys and values pre-filled in a ``DynamicCache`` (so S ≥ L), ``dense``/``out_proj`` replaced by
the identity and the residual (Bloom) zero; the softmax scale set where each model keeps it (Bloom's and Falcon's
``inv_norm_factor``, MPT's ``softmax_scale``, T5's ``scaling`` argument); hidden keys (causal, from the positions;
bottom-right by default) in each model's mask convention — an additive ``finfo(dtype).min`` (Bloom, Falcon, T5) or a
boolean mask (MPT): a row without a visible key is uniform there, not 0 (Hugging Face's convention). Falcon adds its
alibi *before* the scale, (QKᵀ + alibi)·inv_norm_factor: the adapter passes its ``build_alibi_tensor``'s output divided
by the scale, in float32 (the conversion flash-attn makes internally), keeping Falcon's bfloat16 slopes × positions.
q, k and v are zero-padded to one head size for the fused layouts (exact: the zeros add nothing). Not provided:
grouped-query heads (the fused layouts have a KV head per query head), L > S for the cached modules. DTYPES: the model dtypes float64, float32, float16, bfloat16.
"""

from __future__ import annotations

from importlib.metadata import version

from impl.adapters import _attention_bias as bias_of
from impl.adapters import require

torch = require("torch", extra="transformers")
transformers = require("transformers", extra="transformers")
bloom = require("transformers.models.bloom.modeling_bloom", package="transformers", extra="transformers")
falcon = require("transformers.models.falcon.modeling_falcon", package="transformers", extra="transformers")
mpt = require("transformers.models.mpt.modeling_mpt", package="transformers", extra="transformers")
t5_model = require("transformers.models.t5.modeling_t5", package="transformers", extra="transformers")

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16", "bfloat16")
VERSIONS = {"transformers": version("transformers"), "torch": version("torch")}


class _Fixed(torch.nn.Module):
    """A projection replaced by its output: the module's fused q, k, v for the new tokens, whatever its input."""

    def __init__(self, value):
        super().__init__()
        self.value = value

    def forward(self, hidden_states):
        return self.value


def _start(positions):
    """positions[0] when positions = positions[0] + arange(n), else None."""
    if positions.numel() == 0:
        return 0
    first = int(positions[0])
    steps = torch.arange(positions.numel(), device=positions.device) + first
    return first if bool(torch.equal(positions, steps)) else None


def _visible(args, qp, kp, bias):
    shown = bias_of.visible(torch, args, qp, kp, bias)
    return torch.ones((1, 1, args.q_len, args.k_len), dtype=torch.bool) if shown is None else shown


def _additive_mask(shown, dtype):
    """Hugging Face's eager mask: 0 where a key is visible, finfo(dtype).min where it is not."""
    return torch.zeros(shown.shape, dtype=dtype).masked_fill(~shown, torch.finfo(dtype).min)


def _split_cache(args, k, v):
    """(the last L keys and values, a DynamicCache holding the first S − L) for the cached self-attention modules."""
    if args.q_len > args.k_len:
        raise NotImplementedError("more queries than keys: the models' cached self-attention needs S ≥ L")
    cached = args.k_len - args.q_len
    cache = None
    if cached:
        cache = transformers.DynamicCache()
        cache.update(k[:, :, :cached], v[:, :, :cached], 0)
    return k[:, :, cached:], v[:, :, cached:], cache


def _fused_modules(args):
    if args.groups != 1:
        raise NotImplementedError("grouped-query heads: the fused Bloom/Falcon/MPT projections are one KV head per query head")


def _common_head(q, k, v, args):
    """q, k, v zero-padded to one head size (the fused projections' layout): the zeros add exactly nothing to q·k, and
    v's extra columns come out 0 and are cut off. Even: Falcon's config validates a rotary head dim even with ALiBi."""
    width = max(args.head_dim, args.value_dim)
    width += width % 2

    def pad(x):
        return torch.nn.functional.pad(x, (0, width - x.shape[-1]))

    return pad(q), pad(k), pad(v), width


def _alibi_case(args, slopes, qp, kp):
    """The conditions every model's ALiBi has; returns the first key position."""
    if not args.causal:
        raise NotImplementedError("non-causal ALiBi: Bloom, Falcon and MPT are decoders (key-only ALiBi under a causal mask)")
    if slopes is not None:
        raise NotImplementedError("explicit slopes: each model computes its own alibi slopes")
    if _start(kp) is None:
        raise NotImplementedError("key positions that are not contiguous: the models take the key index as the position")
    _fused_modules(args)


def _per_head(x, args):
    """[B, L, H·W] → [B, H, L, Dv] (W the common head size)."""
    return x.reshape(args.batch, args.q_len, args.heads, -1).transpose(1, 2)[..., : args.value_dim]


def _feed_fused_qkv(module, q, k_new, v_new, args):
    """Bloom's and Falcon's attention read q, k, v from one fused projection ``view(B, L, H, 3, D)``: it returns ours,
    the output projection is the identity and the scale is the call's."""
    fused = torch.stack([q, k_new, v_new], dim=3).permute(0, 2, 1, 3, 4)
    module.query_key_value = _Fixed(fused.reshape(args.batch, args.q_len, -1))
    module.dense = torch.nn.Identity()
    module.inv_norm_factor = args.scale


def _bloom(q, k, v, args, qp, kp, bias):
    q, k, v, width = _common_head(q, k, v, args)
    k_new, v_new, cache = _split_cache(args, k, v)
    config = transformers.BloomConfig(hidden_size=args.heads * width, n_head=args.heads)
    module = bloom.BloomAttention(config, layer_idx=0).eval()
    _feed_fused_qkv(module, q, k_new, v_new, args)
    alibi = bloom.build_alibi_tensor(torch.ones((args.batch, args.k_len), dtype=torch.int64), args.heads, q.dtype)
    hidden = torch.zeros((args.batch, args.q_len, args.heads * width), dtype=q.dtype)
    out, _ = module(hidden, hidden, alibi, _additive_mask(_visible(args, qp, kp, bias), q.dtype), layer_past=cache)
    return _per_head(out, args)


def _falcon(q, k, v, args, qp, kp, bias):
    q, k, v, width = _common_head(q, k, v, args)
    k_new, v_new, cache = _split_cache(args, k, v)
    config = transformers.FalconConfig(hidden_size=args.heads * width, num_attention_heads=args.heads, alibi=True,
                                       new_decoder_architecture=False, multi_query=False, attn_implementation="eager")
    module = falcon.FalconAttention(config, layer_idx=0).eval()
    _feed_fused_qkv(module, q, k_new, v_new, args)
    alibi = falcon.build_alibi_tensor(torch.ones((args.batch, args.k_len), dtype=torch.int64), args.heads, q.dtype)
    alibi = alibi.to(bias_of.working_dtype(torch, q.dtype)) / args.scale  # Falcon adds it before the scale
    hidden = torch.zeros((args.batch, args.q_len, args.heads * width), dtype=q.dtype)
    out, _ = module(hidden, alibi, _additive_mask(_visible(args, qp, kp, bias), q.dtype), layer_past=cache)
    return _per_head(out, args)


def _mpt(q, k, v, args, qp, kp, position_bias, hidden_by_array):
    _fused_modules(args)
    q, k, v, width = _common_head(q, k, v, args)
    k_new, v_new, cache = _split_cache(args, k, v)
    config = transformers.MptConfig(d_model=args.heads * width, n_heads=args.heads,
                                    max_seq_len=max(args.k_len, 1), attn_config={"softmax_scale": args.scale})
    module = mpt.MptAttention(config, layer_idx=0).eval()
    flat = [x.transpose(1, 2).reshape(args.batch, args.q_len, -1) for x in (q, k_new, v_new)]
    module.Wqkv = _Fixed(torch.cat(flat, dim=-1))  # chunk(3) along the last axis
    module.out_proj = torch.nn.Identity()
    shown = _visible(args, qp, kp, hidden_by_array)
    hidden = torch.zeros((args.batch, args.q_len, args.heads * width), dtype=q.dtype)
    out, _ = module(hidden, position_bias, cache=cache, attention_mask=~shown)
    return _per_head(out, args)


def _t5(q, k, v, args, qp, kp, t5_table):
    if args.groups != 1:
        raise NotImplementedError("grouped-query heads: T5's attention has one KV head per query head")
    q0, k0 = _start(qp), _start(kp)
    if q0 is None or k0 is None:
        raise NotImplementedError("positions that are not contiguous: T5 takes arange(S) and past_seen_tokens + arange(L)")
    bidirectional, buckets, max_distance = args.t5
    config = transformers.T5Config(d_model=args.heads * args.head_dim, d_kv=args.head_dim, num_heads=args.heads,
                                   relative_attention_num_buckets=buckets, relative_attention_max_distance=max_distance,
                                   is_decoder=not bidirectional, dropout_rate=0.0)
    module = t5_model.T5Attention(config, has_relative_attention_bias=True, layer_idx=0).eval()
    module.relative_attention_bias.weight.data = t5_table.to(q.dtype)  # the model's weights are in its dtype
    position_bias = module.compute_bias(args.q_len, args.k_len, device=q.device, past_seen_tokens=q0 - k0)
    mask = _additive_mask(_visible(args, qp, kp, None), q.dtype)
    out, _ = t5_model.eager_attention_forward(module, q, k, v, mask, scaling=args.scale, dropout=0.0,
                                              position_bias=position_bias)
    return out.transpose(1, 2)  # eager_attention_forward returns [B, L, H, Dv]


def _array(q, k, v, args, qp, kp, bias):
    if bias is not None and bias.ndim == 4 and bias.shape[0] != 1:
        raise NotImplementedError("a bias per batch row: MPT's position_bias is [heads, L, S]")
    position_bias = None
    if bias is not None:
        array = bias[0] if bias.ndim == 4 else bias
        position_bias = torch.where(torch.isneginf(array), torch.zeros((), dtype=array.dtype), array)
    return _mpt(q, k, v, args, qp, kp, position_bias, bias)


def make_attention(alibi_model: str):
    """The protocol's ``attention`` with ALiBi run by ``alibi_model`` ("bloom", "falcon" or "mpt"); the other biases
    only in the main target (``alibi_model == "bloom"``)."""

    def attention(q, k, v, *, scale=None, causal=False, bias=None, slopes=None, q_positions=None, k_positions=None,
                  t5_table=None, t5=None):
        args, qp, kp = bias_of.call_args(torch, q, k, v, scale, causal, bias, slopes, q_positions, k_positions, t5_table, t5)
        if args.bias != "alibi" and alibi_model != "bloom":
            raise NotImplementedError(f"bias={args.bias!r}: this target runs {alibi_model}'s ALiBi only")
        with torch.no_grad():
            if args.bias == "alibi":
                _alibi_case(args, slopes, qp, kp)
                if alibi_model == "mpt":
                    position_bias = mpt.build_mpt_alibi_tensor(args.heads, args.k_len, 8, device=q.device)
                    return _mpt(q, k, v, args, qp, kp, position_bias, None).contiguous()
                return (_falcon if alibi_model == "falcon" else _bloom)(q, k, v, args, qp, kp, None).contiguous()
            if args.bias == "t5":
                return _t5(q, k, v, args, qp, kp, t5_table).contiguous()
            return _array(q, k, v, args, qp, kp, bias if args.bias == "array" else None).contiguous()

    return attention


attention = make_attention("bloom")
