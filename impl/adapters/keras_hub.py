"""Target ``keras-hub``: KerasHub's positional layers on Keras 3 with the torch backend.

Keras picks its backend at import: this module sets ``KERAS_BACKEND=torch`` unless the environment
already names one, and refuses (ImportError: "unavailable") when keras runs on another backend — a
process that imported keras first with jax or tensorflow. Inputs and results are torch tensors.

What runs for each op, and the conventions this adapter converts:

* ``rope_apply``: ``keras_hub.layers.RotaryEmbedding(max_wavelength=base, ..., dtype=<x's dtype>)``
  called as ``layer(x, positions=positions)``: inverse frequencies ``max_wavelength^(−arange(0, d, 2)/d)``
  in float32, positions cast to float32, float32 angles (``einsum``), cos/sin cast to the layer's
  compute dtype, rotate_half over the whole feature axis (``"half"`` only: ``"interleaved"`` is not
  provided). Conventions converted:
  - dtype: a Keras layer casts floating inputs to its compute dtype, so the default float32 layer
    turns a float16 x into a float32 result. The library's way of running in a dtype is the layer's
    dtype policy (its models pass ``dtype=self.dtype_policy``): the layer is built with
    ``dtype=`` x's dtype name, so float16 x runs a float16 layer (float32 angles, float16 cos/sin
    and products) and comes back float16;
  - layout: x ``[..., seq, head_dim]`` is passed as ``[batch, seq, head_dim]`` (the layer's
    ``sequence_axis=1``, ``feature_axis=-1``) and reshaped back; positions ``[seq]`` are the layer's
    ``positions`` argument (arbitrary positions, the documented call);
  - partial rotary: the layer rotates its whole feature axis; KerasHub's models rotate part of a head
    by calling it on ``x[..., :rotary_dim]`` and concatenating the rest unchanged
    (``GPTNeoXAttention``), which the adapter does;
  - ``{"rope_type": "linear", "factor": s}`` → ``rope_type="linear", scaling_factor=s`` (inverse
    frequencies divided by s);
  - ``{"rope_type": "yarn", ...}`` → ``rope_type="yarn"`` with ``scaling_factor``, ``beta_fast``,
    ``beta_slow``, ``original_max_position_embeddings`` and ``truncate`` (Hugging Face's keys, same
    meaning). Its attention factor is always 0.1·ln s + 1, computed in the compute dtype and
    multiplied into cos/sin (where the protocol applies it). It has no ``attention_factor`` key and
    no mscale ratio, so a dict with an ``attention_factor``, or with both ``mscale`` and
    ``mscale_all_dim`` set (the only case Hugging Face reads them), is not provided;
  - ``{"rope_type": "llama3", ...}`` → ``keras_hub.src.models.llama.llama_rotary_embedding.
    LlamaRotaryEmbedding`` (Llama 3.1's layer, a subclass of ``RotaryEmbedding``):
    ``frequency_adjustment_factor = factor``, ``low_freq_factor``, ``high_freq_factor``,
    ``pretraining_sequence_length = original_max_position_embeddings``.
  The layer's ``rope_type="dynamic"`` is not mapped: it divides every inverse frequency by
  s^(d/(d−2)), which is neither Hugging Face's dynamic NTK (a length-dependent base) nor bloc97's NTK
  (base b·s^(d/(d−2))). ``seq_len`` is ignored: linear, yarn and llama3 do not depend on it.
* ``rope_frequencies``: the layer's ``_get_inverse_freq(rotary_dim)``, the float32 frequencies its
  ``call`` multiplies positions by (float32 whatever the dtype policy: the layer casts explicitly);
  attention factor 1, or for yarn the factor the layer multiplies into cos/sin, read as the cos of
  position 0 from its ``_compute_cos_sin_embedding``. That factor is computed in the compute dtype;
  the op has no dtype, so the layer runs with the ``"float64"`` policy, its most precise one (the
  default float32 policy returns it rounded to float32: 1.0020795 for 1.00207944 at s = 1.021).
* ``sinusoidal``: ``keras_hub.layers.SinePositionEncoding(max_wavelength=base)`` (default float32
  layer) called on a ``[1, len(positions), dim]`` input (only its shape is read) with ``positions``:
  sin at even, cos at odd indices — ``"interleaved"`` only, ``"concat"`` is not provided. Angles are
  in the compute dtype (float32).
* ``alibi_slopes``: ``keras_hub.layers.AlibiBias()`` (``alibi_bias_max=8``) on zero scores with two
  keys: its bias at key 0 is −m (the slope times j − (k_len − 1)), negated.
* ``alibi_bias``: ``AlibiBias()(zeros[1, num_heads, q_len, k_len])``: m·(j − (k_len − 1)), one row per
  head for every query. For query i at i₀ = k_len − q_len + i that is −m·(i₀ − j) plus the per-row
  constant m·(i₀ − (k_len − 1)), a form the protocol's causal bias allows as it is (softmax ignores
  a per-row constant): nothing is added. KerasHub masks the future separately (the attention mask),
  so the adapter writes ``-inf`` on keys after the query. ``causal=False`` is not provided: the
  protocol asks for exactly −m·|i − j|, and a key-only bias is a different quantity there (it grows
  towards later keys where −m·|i − j| falls), not the same bias up to a constant.
* ``t5_bucket``: ``keras_hub.src.models.t5.t5_multi_head_attention.T5MultiHeadAttention.
  _relative_position_bucket`` (a staticmethod; its ``compute_bias`` passes ``memory − context``,
  key − query, as the protocol). Its log is float32.
* ``learned_absolute``: ``keras_hub.layers.PositionEmbedding(sequence_length=len(table), dtype=<the
  table's dtype>)``, built, its ``position_embeddings`` weight assigned the table, then called on a
  ``[1, len(positions), dim]`` input (only its shape is read) with ``positions`` (``ops.take`` of the
  rows).
* Not in KerasHub: xPos, an interleaved RoPE layer, a symmetric ALiBi bias.
"""

from __future__ import annotations

import functools
import math
import os
from importlib.metadata import version

from impl.adapters import require
from spec import validation

os.environ.setdefault("KERAS_BACKEND", "torch")
torch = require("torch")
keras = require("keras", extra="megatron-keras")
if keras.backend.backend() != "torch":
    raise ImportError(f"keras runs on the {keras.backend.backend()!r} backend (KERAS_BACKEND, or keras imported earlier); "
                      "the keras-hub target needs KERAS_BACKEND=torch")
require("keras_hub", package="keras-hub", extra="megatron-keras")
from keras_hub.layers import (
    AlibiBias,
    PositionEmbedding,
    RotaryEmbedding,
    SinePositionEncoding,
)
from keras_hub.src.models.llama.llama_rotary_embedding import LlamaRotaryEmbedding
from keras_hub.src.models.t5.t5_multi_head_attention import T5MultiHeadAttention

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16", "bfloat16")
VERSIONS = {"keras-hub": version("keras-hub"), "keras": version("keras")}
ROPE_TYPES = ("default", "linear", "yarn", "llama3")


def _layer(base: float, scaling: dict | None, dtype: str):
    frozen = None if scaling is None else tuple(sorted(scaling.items()))
    return _cached_layer(base, frozen, dtype)


@functools.lru_cache(maxsize=16)
def _cached_layer(base: float, frozen: tuple | None, dtype: str):
    scaling = {"rope_type": "default"} if frozen is None else dict(frozen)
    rope_type = scaling["rope_type"]
    if rope_type == "default":
        return RotaryEmbedding(max_wavelength=base, dtype=dtype)
    if rope_type == "linear":
        return RotaryEmbedding(max_wavelength=base, rope_type="linear", scaling_factor=scaling["factor"], dtype=dtype)
    if rope_type == "yarn":
        if scaling["attention_factor"] is not None:
            raise NotImplementedError("keras-hub's YaRN has no attention_factor: it always uses 0.1·ln(s) + 1")
        if scaling["mscale"] and scaling["mscale_all_dim"]:
            raise NotImplementedError("keras-hub's YaRN has no mscale / mscale_all_dim: its attention factor is "
                                      "always 0.1·ln(s) + 1")
        return RotaryEmbedding(
            max_wavelength=base, rope_type="yarn", scaling_factor=scaling["factor"], beta_fast=scaling["beta_fast"],
            beta_slow=scaling["beta_slow"], original_max_position_embeddings=scaling["original_max_position_embeddings"],
            truncate=scaling["truncate"], dtype=dtype,
        )
    if rope_type == "llama3":
        return LlamaRotaryEmbedding(
            max_wavelength=base, frequency_adjustment_factor=scaling["factor"],
            low_freq_factor=scaling["low_freq_factor"], high_freq_factor=scaling["high_freq_factor"],
            pretraining_sequence_length=scaling["original_max_position_embeddings"], dtype=dtype,
        )
    raise NotImplementedError(f"rope_type {rope_type!r}: keras-hub offers linear, yarn (RotaryEmbedding) and llama3 "
                              "(LlamaRotaryEmbedding) only")


def rope_frequencies(rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
    dim, base, config = validation.scaled_rope_frequencies_args(rotary_dim, base, scaling, seq_len)
    layer = _layer(base, config, "float64")
    with torch.no_grad():
        inv_freq = layer._get_inverse_freq(dim)
        factor = 1.0
        if layer.rope_type == "yarn" and config is not None:  # the factor multiplied into cos/sin: cos(0)·factor
            cos, _ = layer._compute_cos_sin_embedding(torch.zeros(1, 1, dim, dtype=torch.float64),
                                                      positions=torch.zeros(1, dtype=torch.int64))
            factor = float(cos.flatten()[0])
    return inv_freq, factor


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    head_dim, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    if layout != "half":
        raise NotImplementedError("keras-hub's RotaryEmbedding is rotate_half over the feature axis: half layout only")
    layer = _layer(base, config, str(x.dtype).removeprefix("torch."))
    seq = x.shape[-2]
    flat = x.reshape(-1, seq, head_dim)
    with torch.no_grad():
        rotated = layer(flat[..., :rd], positions=positions.to(torch.int64))
        out = torch.cat([rotated, flat[..., rd:]], dim=-1)  # GPTNeoXAttention's partial rotary
    return out.reshape(x.shape)


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    dim, base, layout = validation.sinusoidal_args(positions, dim, base, layout)
    if layout != "interleaved":
        raise NotImplementedError("keras-hub's SinePositionEncoding puts sin at even and cos at odd indices: "
                                  "interleaved layout only")
    with torch.no_grad():
        table = SinePositionEncoding(max_wavelength=base)(torch.zeros(1, positions.shape[0], dim),
                                                          positions=positions.to(torch.int64))
    return table[0]


def alibi_slopes(num_heads):
    n = validation.integer("num_heads", num_heads, minimum=1)
    with torch.no_grad():
        bias = AlibiBias()(torch.zeros(1, n, 1, 2))  # m·(j − 1): −m at key 0
    return -bias[0, :, 0, 0]


def alibi_bias(num_heads, q_len, k_len, *, causal=True):
    validation.alibi_bias_args(num_heads, q_len, k_len, causal)
    if not causal:
        raise NotImplementedError("keras-hub's AlibiBias is the key-only causal form m·(j − (k_len − 1)); it has no "
                                  "symmetric −m·|i − j| bias")
    with torch.no_grad():
        bias = AlibiBias()(torch.zeros(1, num_heads, q_len, k_len))[0]
    queries = torch.arange(k_len - q_len, k_len)[:, None]
    future = torch.arange(k_len)[None, :] > queries
    return bias.masked_fill(future, -math.inf)


def t5_bucket(relative_position, *, bidirectional=True, num_buckets=32, max_distance=128):
    validation.t5_bucket_args(relative_position, bidirectional, num_buckets, max_distance)
    return T5MultiHeadAttention._relative_position_bucket(
        relative_position.to(torch.int64), bidirectional=bidirectional, num_buckets=num_buckets,
        max_distance=max_distance,
    )


def learned_absolute(table, positions):
    validation.learned_absolute_args(table, positions)
    rows, dim = table.shape
    layer = PositionEmbedding(sequence_length=rows, initializer="zeros", dtype=str(table.dtype).removeprefix("torch."))
    layer.build((1, rows, dim))
    with torch.no_grad():
        layer.position_embeddings.assign(table)
        out = layer(torch.zeros(1, positions.shape[0], dim, dtype=table.dtype), positions=positions.to(torch.int64))
    return out[0]
