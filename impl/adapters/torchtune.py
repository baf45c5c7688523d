"""Target ``torchtune``: torchtune's RoPE modules (torchtune imports only with torchao < 0.14).

What runs for each op, and the conventions this adapter converts:

* ``rope_apply``, ``layout="interleaved"``: ``torchtune.modules.RotaryPositionalEmbeddings(dim=
  rotary_dim, max_seq_len, base)`` (Llama 2/3, Gemma, Mistral) — ``theta = base ** -(arange(0, dim,
  2) / dim)`` in float32, a cache of cos/sin for positions ``0 … max_seq_len − 1`` (float32 angles),
  looked up with ``input_pos``; x is computed in float32 (``x.float()``, "to match the reference
  implementation") and cast back to its dtype, so float64 inputs get float32 arithmetic throughout.
  With ``{"rope_type": "llama3", ...}``: ``torchtune.models.llama3_1.Llama3ScaledRoPE`` with
  ``scale_factor = factor``, ``low_freq_factor``, ``high_freq_factor`` and ``old_context_len =
  original_max_position_embeddings`` (the same keys as Hugging Face's llama3 ``rope_parameters``;
  its ``apply_scaling`` keeps θ for λ < L0/high, θ/s for λ > L0/low and blends in between).
* ``rope_apply``, ``layout="half"``: ``torchtune.models.qwen2.Qwen2RotaryPositionalEmbeddings`` (the
  rotate_half module of torchtune's Qwen2 models; the same float32 cache, cos/sin cast to x's dtype
  before the products). No scaler: a scaling dict with ``"half"`` is not provided.
* Layout of the input: the modules take ``[b, s, n_h, h_d]`` and ``input_pos`` ``[s]``; x
  ``[..., seq, head_dim]`` is passed as ``[batch, seq, 1, head_dim]`` and reshaped back.
* The cache is built at construction for ``max_seq_len`` rows (a position beyond it is an index
  error, not a different answer); the adapter builds each module with ``max_seq_len`` the power of
  two above ``max(positions)`` (at most ``MAX_POSITION + 1``) and keeps the last few modules (their ``forward`` only reads the
  cache), hence ``MAX_POSITION`` (2^17) to keep each cache small.
* Partial rotary: none of the modules supports ``rotary_dim < head_dim`` (the cache is viewed as
  ``h_d // 2`` pairs): not provided. Other rope_types: not provided.
* ``rope_frequencies``: the ``theta`` buffer of ``RotaryPositionalEmbeddings`` (or of
  ``Llama3ScaledRoPE`` for llama3), built with ``max_seq_len=1``; attention factor 1.
* ALiBi, T5 buckets, sinusoidal tables: torchtune has none; learned absolute: plain ``nn.Embedding``.
"""

from __future__ import annotations

import functools
from importlib.metadata import version

from impl.adapters import require
from spec import validation

torch = require("torch")
require("torchao")
require("torchtune")
from torchtune.models.llama3_1 import Llama3ScaledRoPE
from torchtune.models.qwen2._positional_embeddings import (
    Qwen2RotaryPositionalEmbeddings,
)
from torchtune.modules import RotaryPositionalEmbeddings

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16", "bfloat16")
VERSIONS = {"torchtune": version("torchtune"), "torchao": version("torchao")}
ROPE_TYPES = ("default", "llama3")  # Llama3ScaledRoPE; torchtune has no other scaler
#: The modules look positions up in a cache built for 0 … max_seq_len − 1 at construction.
MAX_POSITION = {"rope_apply": 2**17}
_ROWS = MAX_POSITION["rope_apply"] + 1


def _module(rotary_dim: int, base: float, layout: str, scaling: dict | None, max_seq_len: int):
    return _cached_module(rotary_dim, base, layout, None if scaling is None else tuple(sorted(scaling.items())),
                          max_seq_len)


@functools.lru_cache(maxsize=4)
def _cached_module(rotary_dim: int, base: float, layout: str, frozen: tuple | None, max_seq_len: int):
    scaling = None if frozen is None else dict(frozen)
    rope_type = "default" if scaling is None else scaling["rope_type"]
    if rope_type == "default":
        cls = RotaryPositionalEmbeddings if layout == "interleaved" else Qwen2RotaryPositionalEmbeddings
        return cls(rotary_dim, max_seq_len=max_seq_len, base=base)
    if rope_type != "llama3":
        raise NotImplementedError(f"rope_type {rope_type!r}: torchtune's only scaler is Llama 3.1's (llama3)")
    if layout == "interleaved":
        return Llama3ScaledRoPE(
            rotary_dim, max_seq_len=max_seq_len, base=base, scale_factor=scaling["factor"],
            low_freq_factor=scaling["low_freq_factor"], high_freq_factor=scaling["high_freq_factor"],
            old_context_len=scaling["original_max_position_embeddings"],
        )
    raise NotImplementedError("llama3 with layout 'half': torchtune's Llama3ScaledRoPE is interleaved")


def rope_frequencies(rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
    dim, base, config = validation.scaled_rope_frequencies_args(rotary_dim, base, scaling, seq_len)
    return _module(dim, base, "interleaved", config, 1).theta.clone(), 1.0


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    head_dim, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    if rd != head_dim:
        raise NotImplementedError("torchtune's RoPE modules rotate the whole head (no partial rotary)")
    seq = x.shape[-2]
    last = int(positions.max()) if seq else 0
    max_seq_len = max(min(1 << last.bit_length(), _ROWS), last + 1)  # a power of two > last, or up to MAX_POSITION
    module = _module(rd, base, layout, config, max_seq_len)
    with torch.no_grad():
        out = module(x.reshape(-1, seq, 1, head_dim), input_pos=positions.to(torch.int64))
    return out.reshape(x.shape)
