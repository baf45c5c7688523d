"""Target ``torchtitan``: PyTorch's torchtitan RoPE modules (``torchtitan.models.common.rope``).

What runs for each op, and the conventions this adapter converts:

* ``rope_apply``, ``layout="interleaved"``: ``ComplexRoPE(ComplexRoPE.Config(dim=rotary_dim,
  max_seq_len, theta=base, ...))`` (Llama 3, DeepSeek-V3) — float32 frequencies, a complex64 cache
  ``polar(1, t·θ)`` for positions ``0 … max_seq_len − 1`` (float32 angles); ``forward`` views x in
  float32 (``query.float()``) as complex pairs (2i, 2i+1), multiplies and casts back, so float64
  inputs get float32 arithmetic throughout.
* ``rope_apply``, ``layout="half"``: ``CosSinRoPE`` (GPT-OSS, Qwen3): the same float32 angles, a
  float32 ``[cos | sin]`` cache (each frequency twice: rotate_half's width), x in float32,
  ``rotate_half``, cast back.
* Positions: ``forward(query, key, positions)`` with positions ``[1, seq]`` (the cache rows are
  gathered; a position beyond the cache fails its bounds check). x ``[..., seq, head_dim]`` is
  passed as query and key ``[batch, seq, 1 head, head_dim]`` and the rotated query reshaped back.
  The cache is built at construction for ``max_seq_len`` rows; the adapter builds each module with
  ``max_seq_len`` the power of two above ``max(positions)`` and keeps the last few (``forward`` only
  reads the cache), hence ``MAX_POSITION`` (2^17) to keep each cache small.
* Partial rotary: the module is built for ``dim = rotary_dim`` and rotates the first ``rotary_dim``
  lanes; the rest are concatenated back unchanged. That is Qwen3.5's ``Attention``
  (``torchtitan.models.qwen3_5``, CosSinRoPE) exactly; DeepSeek-V3's MLA (ComplexRoPE) does the same
  with the rotary block last (``cat([q_nope, q_pe])``), a lane order the protocol puts first.
* ``{"rope_type": "llama3", ...}`` → ``scaling="llama"``, ``scaling_factor = factor``,
  ``low_freq_factor``, ``high_freq_factor``, ``original_max_position_embeddings`` (Hugging Face's keys,
  same meaning). ``CosSinRoPE`` raises ``NotImplementedError`` for it itself ("half": not provided).
* ``{"rope_type": "yarn", ...}`` → ``scaling="yarn"``, ``rope_factor = factor``, ``beta_fast``,
  ``beta_slow``, ``original_seq_len = original_max_position_embeddings``, ``truncate``
  (``_yarn_inv_freq``). torchtitan applies YaRN only for ``rope_factor > 1`` (below it the modules
  silently return plain RoPE): a factor < 1 is not provided. Its RoPE is a pure rotation; the YaRN
  attention factor lives in the models' softmax scale, which this adapter moves onto the rotated
  lanes (the protocol's place), taking its value from torchtitan's code:

  - no ``mscale``/``mscale_all_dim`` pair (Hugging Face's factor 0.1·ln s + 1): GPT-OSS's
    ``Attention`` multiplies its softmax scale by mscale² — read off an ``Attention`` built with
    ``head_dim = 1`` (softmax scale 1·mscale²), its square root multiplies the rotated output;
  - ``mscale == mscale_all_dim`` (DeepSeek-V2/V3; Hugging Face's factor 1): DeepSeek-V3's rope is the
    pure rotation, its softmax mscale² is the ``attention_scale`` part (``softmax_mscale``), not
    ``rope_apply``'s: factor 1;
  - ``mscale != mscale_all_dim`` (a ratio torchtitan never computes) or an explicit
    ``attention_factor`` (no such field): not provided.

  ``llama_4_scaling_beta`` is a query temperature, inert for ``rope_apply``. Other rope_types: not
  provided.
* ``rope_frequencies``: not provided — the frequencies are local to ``_precompute_cache`` (only the
  private ``_yarn_inv_freq`` returns YaRN's).
"""

from __future__ import annotations

import functools
import math
from importlib.metadata import version

from impl.adapters import require
from spec import validation

torch = require("torch")
require("torchtitan.models.common.rope", package="torchtitan", extra="litgpt-torchtitan")
from torchtitan.models.common.attention import QKVLinear
from torchtitan.models.common.linear import Linear
from torchtitan.models.common.rope import ComplexRoPE, CosSinRoPE
from torchtitan.models.gpt_oss.model import Attention as GptOssAttention

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16", "bfloat16")
VERSIONS = {"torchtitan": version("torchtitan")}
ROPE_TYPES = ("default", "llama3", "yarn")
#: The modules look positions up in a cache built for 0 … max_seq_len − 1 at construction.
MAX_POSITION = {"rope_apply": 2**17}
_ROWS = MAX_POSITION["rope_apply"] + 1


def _scaling_fields(config: dict | None) -> dict:
    """The ``RoPE.Config`` fields of a normalised scaling config, in torchtitan's names."""
    rope_type = "default" if config is None else config["rope_type"]
    if rope_type == "default":
        return {}
    if rope_type == "llama3":
        return {"scaling": "llama", "scaling_factor": config["factor"], "low_freq_factor": config["low_freq_factor"],
                "high_freq_factor": config["high_freq_factor"],
                "original_max_position_embeddings": config["original_max_position_embeddings"]}
    if rope_type != "yarn":
        raise NotImplementedError(f"rope_type {rope_type!r}: torchtitan's scalers are llama3 ('llama') and yarn")
    if config["factor"] < 1:
        raise NotImplementedError("torchtitan applies YaRN only for rope_factor > 1 (a smaller one is plain RoPE)")
    return {"scaling": "yarn", "rope_factor": config["factor"], "beta_fast": config["beta_fast"],
            "beta_slow": config["beta_slow"], "original_seq_len": config["original_max_position_embeddings"],
            "truncate": config["truncate"]}


@functools.lru_cache(maxsize=4)
def _module(layout: str, rotary_dim: int, base: float, frozen: tuple, max_seq_len: int):
    cls = ComplexRoPE if layout == "interleaved" else CosSinRoPE
    return cls(cls.Config(dim=rotary_dim, max_seq_len=max_seq_len, theta=base, **dict(frozen)))


def _attention_factor(config: dict | None) -> float:
    """torchtitan's YaRN attention factor per query and key (the module docstring says where it comes from)."""
    if config is None or config["rope_type"] != "yarn":
        return 1.0
    if config["attention_factor"] is not None:
        raise NotImplementedError("torchtitan has no YaRN attention_factor field")
    if config["mscale"] and config["mscale_all_dim"]:
        if config["mscale"] != config["mscale_all_dim"]:
            raise NotImplementedError("torchtitan's rope is a pure rotation and its DeepSeek-V3 softmax takes one "
                                      "mscale: the ratio mscale(s, mscale) / mscale(s, mscale_all_dim) is not computed")
        return 1.0
    return math.sqrt(_gpt_oss_softmax_scale(config["factor"]))


@functools.lru_cache(maxsize=16)
def _gpt_oss_softmax_scale(factor: float) -> float:
    """GPT-OSS's softmax scale at head_dim 1: 1 times its YaRN mscale² (mscale = 0.1·ln s + 1 for s > 1)."""
    one = Linear.Config(in_features=1, out_features=1)
    rope = CosSinRoPE.Config(dim=2, max_seq_len=1, scaling="yarn", rope_factor=factor)
    attention = GptOssAttention.Config(n_heads=1, n_kv_heads=1, head_dim=1, dim=1, wo=one, rope=rope,
                                       qkv_linear=QKVLinear.Config(head_dim=1, wq=one, wkv=one)).build()
    return attention.softmax_scale


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    head_dim, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    fields = _scaling_fields(config)
    factor = _attention_factor(config)
    seq = x.shape[-2]
    last = int(positions.max()) if seq else 0
    max_seq_len = max(min(1 << last.bit_length(), _ROWS), last + 1)  # a power of two > last, or up to MAX_POSITION
    module = _module(layout, rd, base, tuple(sorted(fields.items())), max_seq_len)
    heads = x.reshape(math.prod(x.shape[:-2]), seq, 1, head_dim)
    with torch.no_grad():
        rotated, _ = module(heads[..., :rd], heads[..., :rd], positions.to(torch.int64)[None, :])
    if factor != 1.0:
        rotated = rotated * factor
    return torch.cat((rotated, heads[..., rd:]), dim=-1).reshape(x.shape)
