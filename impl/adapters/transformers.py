"""Target ``transformers``: Hugging Face transformers' own positional-encoding code (v5).

What runs for each op, and the conventions this adapter converts:

* ``rope_frequencies``: ``ROPE_INIT_FUNCTIONS[rope_type]`` (``LlamaRotaryEmbedding.
  compute_default_rope_parameters`` for ``"default"``) on a ``LlamaConfig`` with ``head_dim =
  rotary_dim`` and ``rope_parameters = scaling`` plus ``rope_theta = base``. HF's dynamic NTK reads
  its original length from ``config.max_position_embeddings``, so that is set to the vocabulary's
  ``original_max_position_embeddings``; for the other scalers it is L0·factor, the length they
  extend to. Every rope_type of ``ROPE_INIT_FUNCTIONS`` in this vocabulary is covered (``linear``,
  ``dynamic``, ``yarn``, ``longrope``, ``llama3``); it declares none of the suite's own additions (``ntk``, ``seed_*``,
  ``reverse_extrapolation``, YaRN's ``ramp``), so the gate never sends them. HF's ``proportional``
  (Gemma 4) is the vocabulary's ``proportional``.
* ``rope_apply``: cos/sin from ``LlamaRotaryEmbedding.forward`` (float32 angles, × the attention
  factor, cast to x's dtype) — called without its ``dynamic_rope_update`` decorator, because that
  derives the length from ``max(position_ids) + 1`` while the protocol passes ``seq_len``: the
  frequencies are HF's own init function at that ``seq_len``. Then ``"half"``: GPT-NeoX's
  ``apply_rotary_pos_emb`` (Llama's ``rotate_half``; it rotates the first ``cos.shape[-1]`` dims
  and passes the rest through, HF's partial rotary); ``"interleaved"``: GPT-J's
  ``apply_rotary_pos_emb`` (``rotate_every_two``) on the first ``rotary_dim`` dims, fed the
  half-width cos/sin, and the rest concatenated back as ``GPTJAttention`` does. (GPT-J's own table
  ``create_sinusoidal_positions`` is fixed at base 10 000 and materialises every position.)
* ``alibi_slopes``, ``alibi_bias``: Bloom's ``build_alibi_tensor`` — a key-only bias m·j, which
  the protocol accepts for causal attention (softmax ignores a per-row constant). Bloom masks the
  future with ``finfo.min`` in a separate mask; the adapter writes ``-inf`` there. Bloom has no
  bidirectional ALiBi: ``causal=False`` is not provided.
* ``t5_bucket``: ``T5Attention._relative_position_bucket``.
* ``sinusoidal``: ``"interleaved"`` is DistilBERT's ``create_sinusoidal_embeddings`` (XLM's table:
  sin at 2i, cos at 2i+1), ``"concat"`` is ``MarianSinusoidalPositionalEmbedding.create_weight``
  ([sin | cos]); both hard-code base 10 000 (other bases: not provided) and build the whole table
  row by row in Python, hence ``MAX_POSITION`` for this op.
* ``learned_absolute``: not provided — HF's learned tables are plain ``torch.nn.Embedding`` (check
  the ``torch`` target).
"""

from __future__ import annotations

import inspect
import math

from impl.adapters import flat_positions, require
from spec import validation

torch = require("torch")
transformers = require("transformers")
from transformers import LlamaConfig
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
from transformers.models.bloom.modeling_bloom import build_alibi_tensor
from transformers.models.distilbert.modeling_distilbert import (
    _create_sinusoidal_embeddings,
)
from transformers.models.gpt_neox.modeling_gpt_neox import (
    apply_rotary_pos_emb as apply_half,
)
from transformers.models.gptj.modeling_gptj import (
    apply_rotary_pos_emb as apply_interleaved,
)
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding
from transformers.models.marian.modeling_marian import (
    MarianSinusoidalPositionalEmbedding,
)
from transformers.models.t5.modeling_t5 import T5Attention

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16", "bfloat16")
VERSIONS = {"transformers": transformers.__version__}
#: The sinusoid tables are built position by position in Python; 1024 rows take ~0.1 s.
MAX_POSITION = {"sinusoidal": 1024}

_TEXTBOOK_BASE = 10000.0
_UNSCALED_FORWARD = inspect.unwrap(LlamaRotaryEmbedding.forward)  # without dynamic_rope_update


def _config(rotary_dim: int, base: float, scaling: dict | None) -> LlamaConfig:
    """A LlamaConfig whose RoPE is ``rotary_dim`` wide with HF's ``rope_parameters`` for ``scaling``."""
    scaling = dict(scaling or {"rope_type": "default"})
    rope_type = scaling["rope_type"]
    if rope_type != "default" and rope_type not in ROPE_INIT_FUNCTIONS:
        raise NotImplementedError(f"rope_type {rope_type!r} is not one of transformers' {sorted(ROPE_INIT_FUNCTIONS)}")
    scaling.pop("ramp", None)  # the normalised config names the ramp; Hugging Face's is the default, "index"
    original = scaling.get("original_max_position_embeddings", 4096)
    # Dynamic NTK's L0 is max_position_embeddings; for the others it is the length they extend to.
    length = original if rope_type == "dynamic" else max(original, math.ceil(original * scaling.get("factor", 1.0)))
    if rope_type == "dynamic":
        del scaling["original_max_position_embeddings"]
    return LlamaConfig(
        head_dim=rotary_dim, hidden_size=rotary_dim, num_attention_heads=1, max_position_embeddings=length,
        rope_parameters={**{k: v for k, v in scaling.items() if v is not None}, "rope_theta": base},
    )


def _init_frequencies(config: LlamaConfig, seq_len):
    rope_type = config.rope_parameters["rope_type"]
    if rope_type == "default":
        return LlamaRotaryEmbedding.compute_default_rope_parameters(config)
    return ROPE_INIT_FUNCTIONS[rope_type](config, DEVICE, seq_len=seq_len)


def rope_frequencies(rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
    dim, base, config = validation.scaled_rope_frequencies_args(rotary_dim, base, scaling, seq_len)
    inv_freq, attention_factor = _init_frequencies(_config(dim, base, config), seq_len)
    return inv_freq, float(attention_factor)


def _cos_sin(x, positions, rotary_dim, base, scaling, seq_len):
    """HF's cos/sin ``[1, seq, rotary_dim]`` (each frequency twice: rotate_half's width) in x's dtype."""
    config = _config(rotary_dim, base, scaling)
    module = LlamaRotaryEmbedding(config)
    module.inv_freq, module.attention_scaling = _init_frequencies(config, seq_len)
    with torch.no_grad():
        return _UNSCALED_FORWARD(module, x, flat_positions(torch, positions))


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    _, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    cos, sin = _cos_sin(x, positions, rd, base, config, seq_len)
    if layout == "half":
        rotated, _ = apply_half(x, x, cos[0], sin[0], unsqueeze_dim=0)
        return rotated
    # GPT-J: x as [batch, seq, heads, rotary_dim] and cos/sin [batch, seq, rotary_dim / 2].
    x_rot, x_pass = x[..., :rd], x[..., rd:]
    seq = x.shape[-2]
    as_gptj = x_rot.reshape(-1, seq, 1, rd)
    rotated = apply_interleaved(as_gptj, sin[..., : rd // 2], cos[..., : rd // 2]).reshape(x_rot.shape)
    return torch.cat([rotated, x_pass], dim=-1)


def alibi_slopes(num_heads):
    n = validation.integer("num_heads", num_heads, minimum=1)
    # Bloom's bias at key position 1 is the slope itself.
    return build_alibi_tensor(torch.ones(1, 2), n, torch.float32)[:, 0, 1]


def alibi_bias(num_heads, q_len, k_len, *, causal=True):
    validation.alibi_bias_args(num_heads, q_len, k_len, causal)
    if not causal:
        raise NotImplementedError("Bloom's ALiBi is causal only (a key-only bias m·j)")
    keys = build_alibi_tensor(torch.ones(1, k_len), num_heads, torch.float32)  # [num_heads, 1, k_len]
    queries = torch.arange(k_len - q_len, k_len)[:, None]
    future = torch.arange(k_len)[None, :] > queries
    return keys.expand(num_heads, q_len, k_len).masked_fill(future, -math.inf)


def t5_bucket(relative_position, *, bidirectional=True, num_buckets=32, max_distance=128):
    validation.t5_bucket_args(relative_position, bidirectional, num_buckets, max_distance)
    return T5Attention._relative_position_bucket(
        relative_position.to(torch.int64), bidirectional=bidirectional, num_buckets=num_buckets, max_distance=max_distance,
    )


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    dim, base, layout = validation.sinusoidal_args(positions, dim, base, layout)
    if base != _TEXTBOOK_BASE:
        raise NotImplementedError("transformers' sinusoid tables hard-code base 10000")
    rows = int(positions.max()) + 1 if positions.numel() else 1
    if layout == "interleaved":
        table = _create_sinusoidal_embeddings(rows, dim, torch.empty(rows, dim))
    else:
        table = MarianSinusoidalPositionalEmbedding(rows, dim).create_weight()
    return table[positions.to(torch.int64)]
