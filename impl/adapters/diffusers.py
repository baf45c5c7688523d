"""Target ``diffusers``: the RoPE and sin-cos helpers of ``diffusers.models.embeddings``.

What runs for each op, and the conventions this adapter converts:

* ``rope_apply``: cos/sin from ``get_1d_rotary_pos_embed(rotary_dim, pos=positions, theta=base,
  use_real=True, repeat_interleave_real=…, linear_factor=…, freqs_dtype=…)``, applied by
  ``apply_rotary_emb(x, (cos, sin), use_real=True, use_real_unbind_dim=…)``, as Flux and CogVideoX
  call them. ``"interleaved"``: ``repeat_interleave_real=True`` with ``use_real_unbind_dim=-1``
  (Flux, CogVideoX, HunyuanDiT: pairs (2i, 2i+1)); ``"half"``: ``repeat_interleave_real=False``
  with ``use_real_unbind_dim=-2`` (Stable Audio, CogView4: pairs (i, i + d/2)).
  Library arithmetic: ``inv = 1 / (theta ** (arange(0, d, 2) / d)) / linear_factor`` in
  ``freqs_dtype``, angles ``outer(pos, inv)`` (the int64 positions promote to ``freqs_dtype``, so
  any positions, not only ``0 … S − 1``), cos/sin returned as float32; ``apply_rotary_emb``
  computes ``x.float() * cos + rotated.float() * sin`` and casts to x's dtype — float32
  arithmetic for every input dtype, float64 included.
  ``freqs_dtype``: the library's default ``torch.float32`` (CogVideoX) for float32, float16 and
  bfloat16 x; for float64 x, the float64 that Flux's ``FluxPosEmbed`` picks on devices that support it
  (``maybe_adjust_dtype_for_device(torch.float64, device)``, the option the signature documents as
  "torch.float64 (flux)") — the library's own choice for a float64 computation. It cannot make
  float64 exact: cos/sin are cast to float32 and the rotation runs in float32 either way.
  x ``[..., seq, head_dim]`` is passed as ``[batch, 1, seq, head_dim]`` (``sequence_dim=2``, the
  default) and reshaped back.
  Scaling: ``{"rope_type": "linear", "factor": s}`` → ``linear_factor = s`` (``inv / s``, attention
  factor 1: Hugging Face's linear map). ``ntk_factor`` multiplies the base itself (θ·k); no
  rope_type of the vocabulary is that map (``ntk`` is b·s^(d/(d−2)), whose exponent diffusers does
  not compute), so ntk and every other rope_type are not provided. Partial rotary is not provided:
  ``apply_rotary_emb`` multiplies the whole head by full-width cos/sin.
* ``rope_frequencies``: not provided — ``get_1d_rotary_pos_embed`` returns only cos/sin (or the
  complex cis) of the angles, never the frequencies themselves.
* ``sinusoidal``, ``"concat"`` ([sin | cos]; ``flip_sin_to_cos=False``, the functions' default):
  at base 10 000, ``get_1d_sincos_pos_embed_from_grid(dim, positions)`` (the 1-D block of the 2-D/3-D
  patch tables of SD3, PixArt, CogVideoX; base 10 000 hard-coded, ``dtype=None``: float64 on CPU,
  the float64 table it returns); at any other base, ``get_timestep_embedding(positions, dim,
  downscale_freq_shift=0, max_period=base)`` (shift 0 — Flux's and SD3's ``Timesteps`` setting —
  gives ω_i = base^(−2i/dim); the default shift 1 would not), float32.
* ``sinusoidal``, ``"interleaved"`` (sin at 2i, cos at 2i+1): the ``pe`` buffer of
  ``SinusoidalPositionalEmbedding(dim, max_seq_length)`` (float32, base 10 000 hard-coded; other
  bases not provided). Its ``forward`` adds rows ``0 … S − 1`` to x; the adapter reads the rows at
  the given positions from a table built with ``max_seq_length = max(positions) + 1``, hence
  ``MAX_POSITION`` for this op.
* ALiBi, T5 buckets, xPos, learned tables: diffusers has none as a function of its own.
"""

from __future__ import annotations

from importlib.metadata import version

from impl.adapters import require
from spec import validation

torch = require("torch")
require("diffusers", extra="diffusers-timm")
from diffusers.models.embeddings import (
    SinusoidalPositionalEmbedding,
    apply_rotary_emb,
    get_1d_rotary_pos_embed,
    get_1d_sincos_pos_embed_from_grid,
    get_timestep_embedding,
)
from diffusers.utils.torch_utils import maybe_adjust_dtype_for_device

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16", "bfloat16")
VERSIONS = {"diffusers": version("diffusers")}
ROPE_TYPES = ("default", "linear")  # linear_factor; ntk_factor is no rope_type of the vocabulary
#: The interleaved table is SinusoidalPositionalEmbedding's buffer, built for every row up to the last position.
MAX_POSITION = {"sinusoidal": 2**14}

_FIXED_BASE = 10000.0  # get_1d_sincos_pos_embed_from_grid and SinusoidalPositionalEmbedding hard-code it
#: (repeat_interleave_real, use_real_unbind_dim) of each layout.
_LAYOUTS = {"interleaved": (True, -1), "half": (False, -2)}


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    head_dim, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    if rd != head_dim:
        raise NotImplementedError("diffusers' apply_rotary_emb rotates the whole head (cos/sin are full width): no "
                                  "partial rotary")
    rope_type = "default" if config is None else config["rope_type"]
    if rope_type not in ROPE_TYPES:
        raise NotImplementedError(f"rope_type {rope_type!r}: diffusers offers linear_factor (linear) only; its "
                                  "ntk_factor multiplies the base directly, which is no rope_type of the vocabulary")
    repeat_interleave_real, unbind_dim = _LAYOUTS[layout]
    freqs_dtype = maybe_adjust_dtype_for_device(torch.float64, x.device) if x.dtype == torch.float64 else torch.float32
    with torch.no_grad():
        cos, sin = get_1d_rotary_pos_embed(
            rd, positions.to(torch.int64), theta=base, use_real=True, repeat_interleave_real=repeat_interleave_real,
            linear_factor=config["factor"] if rope_type == "linear" else 1.0, freqs_dtype=freqs_dtype,
        )
        out = apply_rotary_emb(x.reshape(-1, 1, x.shape[-2], head_dim), (cos, sin), use_real=True,
                               use_real_unbind_dim=unbind_dim)
    return out.reshape(x.shape)


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    dim, base, layout = validation.sinusoidal_args(positions, dim, base, layout)
    positions = positions.to(torch.int64)
    if layout == "concat":
        if base == _FIXED_BASE:
            return get_1d_sincos_pos_embed_from_grid(dim, positions)
        return get_timestep_embedding(positions, dim, downscale_freq_shift=0, max_period=base)
    if base != _FIXED_BASE:
        raise NotImplementedError("diffusers' SinusoidalPositionalEmbedding (its interleaved table) hard-codes base 10000")
    rows = int(positions.max()) + 1 if positions.numel() else 1
    return SinusoidalPositionalEmbedding(dim, max_seq_length=rows).pe[0, positions]
