"""Target ``x-transformers``: lucidrains' x-transformers positional-encoding modules.

What runs for each op, and the conventions this adapter converts:

* ``rope_apply``: ``RotaryEmbedding(rotary_dim, base=base, ...)`` — its ``forward`` on the given
  positions (``t.type_as(inv_freq)``: float32 positions times the float32 ``inv_freq``, divided by
  ``interpolation_factor``: float32 angles for every input dtype) — then ``apply_rotary_pos_emb(x,
  freqs)``, which rotates the first ``freqs.shape[-1] = rotary_dim`` dims and concatenates the rest
  unchanged (x-transformers' partial rotary) and casts back to x's dtype. Its ``rotate_half``
  pairs (2i, 2i+1) (``'... (d r) -> ... d r', r = 2``): ``layout="interleaved"`` only, ``"half"`` is
  not provided. x is passed as ``[batch, 1, seq, head_dim]`` (the 4-D layout the function expects)
  and reshaped back. xPos is off (``use_xpos=False``: scale 1).
  Scaling: ``{"rope_type": "linear", "factor": s}`` → ``interpolation_factor = s`` (the angle
  ``m·θ_i`` divided by s: position interpolation); the library asserts ``interpolation_factor >= 1``,
  so s < 1 is not provided. ``{"rope_type": "ntk", "factor": s}`` → ``base_rescale_factor = s``
  (``base *= s ** (dim / (dim - 2))``, bloc97's NTK-aware base, the vocabulary's ``ntk``). Other
  rope_types: not provided. ``rotary_dim = 2`` is not provided: ``RotaryEmbedding(2)`` raises
  ``ZeroDivisionError`` (it computes ``base_rescale_factor ** (dim / (dim - 2))`` even for factor 1).
* ``xpos_apply``: ``RotaryEmbedding(head_dim, base=base, use_xpos=True, scale_base=scale_base)`` (every
  dim rotates — the library's own default is ``dim_head // 2`` — and ζ_i is its float32 ``scale``
  buffer ``(arange(0, dim, 2) + 0.4·dim) / (1.4·dim)``, γ = 0.4 hard-coded), applied as ``Attention``
  does: ``freqs, scale = forward(positions)``, then ``apply_rotary_pos_emb(x, freqs, scale)`` for
  ``role="query"`` and ``apply_rotary_pos_emb(x, freqs, scale ** -1.)`` for ``"key"``, x passed as
  for ``rope_apply`` (pairs (2i, 2i+1): ``layout="interleaved"`` only). ``forward`` centres the
  scale's positions on the largest one: ``power = (t - (t.max() + 1) // 2) / scale_base`` (which
  leaves every score unchanged); the protocol scales by the position m itself, so the scale comes
  from a second ``forward`` on the int64 positions shifted by k = max(m) + 1, whose centre
  ``(max(m) + k + 1) // 2`` is k again: ``power = m / scale_base`` (the shift and its removal are
  exact int64 arithmetic; the angles come from the first call on m). ``power`` is float32 (int64 /
  float), the scale and its inverse float32 for every x dtype; ``apply_rotary_pos_emb`` multiplies in
  float32 (float64 for float64 x) and casts back, so float16 x overflows to ``inf`` only where the
  product does (ζ_0 = 2/7: a unit lane's ζ_0^(∓m/B) passes 65504 from |m| ≈ 8.8·B, the query's at
  negative m, the key's at positive m), and the float32 scale (or its inverse) itself from |m| ≈
  70.8·B. An empty sequence is not provided: ``forward``
  calls ``t.max()``, which raises on no positions. ``head_dim = 2`` is not provided (the
  ``ZeroDivisionError`` above).
* ``rope_frequencies``: the same module's ``forward`` at position 1 (every other entry: ``freqs`` is
  each frequency twice), i.e. ``inv_freq / interpolation_factor`` as the library computes the angle
  per unit position (PI divides angles, not ``inv_freq``). Attention factor 1 (no xPos).
* ``alibi_slopes``: the ``slopes`` buffer of ``AlibiPositionalBias(heads)`` (``_get_slopes``, Press
  et al.'s rule, computed in Python floats and stored as float32).
* ``alibi_bias``: ``AlibiPositionalBias(heads)(q_len, k_len)``: −m·|i−j| with query i at
  ``k_len − q_len + i`` (``arange(j - i, j)``: end-aligned, as the protocol). The library's bias is
  symmetric, so ``causal=False`` is it unchanged; x-transformers applies its causal mask separately
  in ``Attention`` (``-finfo.max``), so for ``causal=True`` the adapter writes ``-inf`` on the keys
  after each query. A fresh module per call (the module caches its last bias). An empty bias
  (``q_len`` or ``k_len`` 0) is not provided: the module raises einx's ``AxisSizeError`` there.
* ``t5_bucket``: ``RelativePositionBias._relative_position_bucket(relative_position, causal=not
  bidirectional, ...)``. Its ``relative_position`` is ``key − query`` (``forward`` builds
  ``k_pos − q_pos``) and it negates it as mesh-tensorflow does, so only the flag's name differs.
* ``sinusoidal``: ``ScaledSinusoidalEmbedding(dim, theta=base)`` with its learned ``scale``
  (initialised to dim^−0.5) set to 1: ``inv_freq = theta ** -(arange(dim/2) / (dim/2))`` and the
  table ``[sin | cos]`` — ``layout="concat"`` only, ``"interleaved"`` is not provided. Positions are
  passed as ``pos`` (int64; einsum promotes them to float32).
* ``learned_absolute``: ``AbsolutePositionalEmbedding(dim, max_seq_len=len(table))`` with ``emb.weight
  = table`` and its ``scale`` (dim^−0.5) set to 1: a plain ``nn.Embedding`` lookup. The module asserts
  a sequence no longer than its table, so positions are looked up in chunks of at most ``len(table)``.
"""

from __future__ import annotations

import math
from importlib.metadata import version

from impl.adapters import require
from spec import validation

torch = require("torch")
require("x_transformers", package="x-transformers")
from x_transformers.x_transformers import (
    AbsolutePositionalEmbedding,
    AlibiPositionalBias,
    RelativePositionBias,
    RotaryEmbedding,
    ScaledSinusoidalEmbedding,
    apply_rotary_pos_emb,
)

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16", "bfloat16")
VERSIONS = {"x-transformers": version("x-transformers")}
EXTENSIONS = ("ntk",)  # bloc97's NTK-aware base: the vocabulary's "ntk" (an extension of Hugging Face's)
ROPE_TYPES = ("default", "linear", "ntk")  # interpolation_factor, base_rescale_factor


def _rotary(rotary_dim: int, base: float, scaling: dict | None, **xpos) -> RotaryEmbedding:
    if rotary_dim == 2:
        raise NotImplementedError("x-transformers' RotaryEmbedding(dim=2) raises ZeroDivisionError: it evaluates "
                                  "base_rescale_factor ** (dim / (dim - 2)) even when the factor is 1")
    rope_type = "default" if scaling is None else scaling["rope_type"]
    if rope_type == "default":
        return RotaryEmbedding(rotary_dim, base=base, **xpos)
    if rope_type == "linear":
        if scaling["factor"] < 1:
            raise NotImplementedError("x-transformers asserts interpolation_factor >= 1")
        return RotaryEmbedding(rotary_dim, base=base, interpolation_factor=scaling["factor"])
    if rope_type == "ntk":
        return RotaryEmbedding(rotary_dim, base=base, base_rescale_factor=scaling["factor"])
    raise NotImplementedError(f"rope_type {rope_type!r}: x-transformers offers linear (interpolation_factor) and ntk "
                              "(base_rescale_factor) only")


def rope_frequencies(rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
    dim, base, config = validation.scaled_rope_frequencies_args(rotary_dim, base, scaling, seq_len)
    with torch.no_grad():
        freqs, _ = _rotary(dim, base, config)(torch.ones(1, dtype=torch.int64))
    return freqs[0, 0, ::2], 1.0


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    head_dim, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    if layout != "interleaved":
        raise NotImplementedError("x-transformers' rotate_half pairs (2i, 2i+1): interleaved layout only")
    with torch.no_grad():
        freqs, scale = _rotary(rd, base, config)(positions.to(torch.int64))
        out = apply_rotary_pos_emb(x.reshape(-1, 1, x.shape[-2], head_dim), freqs, scale)
    return out.reshape(x.shape)


def xpos_apply(x, positions, *, role, base=10000.0, layout="half", scale_base=512.0):
    head_dim, role, base, layout, scale_base = validation.xpos_apply_args(x, positions, role, base, layout, scale_base)
    if layout != "interleaved":
        raise NotImplementedError("x-transformers' rotate_half pairs (2i, 2i+1): interleaved layout only")
    if positions.shape[0] == 0:
        raise NotImplementedError("x-transformers' RotaryEmbedding.forward calls t.max(), which raises on an empty "
                                  "sequence")
    module = _rotary(head_dim, base, None, use_xpos=True, scale_base=scale_base)
    positions = positions.to(torch.int64)
    with torch.no_grad():
        freqs, _ = module(positions)
        # forward centres the scale at (t.max() + 1) // 2: shifted by k = max + 1, that centre is k and power = m / B
        _, scale = module(positions + (positions.max() + 1))
        out = apply_rotary_pos_emb(x.reshape(-1, 1, x.shape[-2], head_dim), freqs,
                                   scale if role == "query" else scale ** -1.)
    return out.reshape(x.shape)


def alibi_slopes(num_heads):
    n = validation.integer("num_heads", num_heads, minimum=1)
    return AlibiPositionalBias(n).slopes.flatten()


def alibi_bias(num_heads, q_len, k_len, *, causal=True):
    validation.alibi_bias_args(num_heads, q_len, k_len, causal)
    if q_len == 0 or k_len == 0:
        raise NotImplementedError("x-transformers' AlibiPositionalBias(h)(i, j) raises einx's AxisSizeError when i or j "
                                  "is 0 (no empty bias)")
    with torch.no_grad():
        bias = AlibiPositionalBias(num_heads)(q_len, k_len)  # [num_heads, q_len, k_len]
    if not causal:
        return bias
    queries = torch.arange(k_len - q_len, k_len)[:, None]
    future = torch.arange(k_len)[None, :] > queries
    return bias.masked_fill(future, -math.inf)


def t5_bucket(relative_position, *, bidirectional=True, num_buckets=32, max_distance=128):
    validation.t5_bucket_args(relative_position, bidirectional, num_buckets, max_distance)
    return RelativePositionBias._relative_position_bucket(
        relative_position.to(torch.int64), causal=not bidirectional, num_buckets=num_buckets, max_distance=max_distance,
    )


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    dim, base, layout = validation.sinusoidal_args(positions, dim, base, layout)
    if layout != "concat":
        raise NotImplementedError("x-transformers' ScaledSinusoidalEmbedding is [sin | cos]: concat layout only")
    module = ScaledSinusoidalEmbedding(dim, theta=base)
    with torch.no_grad():
        module.scale.fill_(1.0)  # the learned scale, initialised to dim ** -0.5
        seq = torch.empty(1, positions.shape[0])  # only its length and device are read
        return module(seq, pos=positions.to(torch.int64))


def learned_absolute(table, positions):
    validation.learned_absolute_args(table, positions)
    rows, dim = table.shape
    module = AbsolutePositionalEmbedding(dim, max_seq_len=rows)
    module.scale = 1.0  # dim ** -0.5 in the library
    module.emb.weight = torch.nn.Parameter(table, requires_grad=False)
    positions = positions.to(torch.int64)
    with torch.no_grad():
        chunks = [module(chunk[None], pos=chunk) for chunk in positions.split(rows)]
    return torch.cat(chunks) if chunks else table[:0]
