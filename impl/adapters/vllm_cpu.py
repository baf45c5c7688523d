"""Target ``vllm-cpu``: vLLM's rotary embeddings (``vllm.model_executor.layers.rotary_embedding.get_rope``)
through their PyTorch-native path on the CPU.

What runs, and the conventions this adapter converts:

* ``rope_apply``: ``get_rope(head_size, max_position, is_neox_style, rope_parameters, dtype)`` built
  inside ``set_current_vllm_config(VllmConfig())`` (its ``CustomOp`` modules read the current
  config; ``VllmConfig()`` needs ``VLLM_TARGET_DEVICE=cpu`` on a machine without CUDA), then the
  module's ``forward_native(positions, query, key)`` (``Phi3LongRoPEScaledRotaryEmbedding`` has no
  ``forward_native``: its ``forward``, which is native). Every module looks positions up in a
  ``cos_sin_cache`` built from float32 angles and cast to ``dtype`` (x's dtype) and rotates in that
  dtype. ``is_neox_style=True`` is ``layout="half"``, ``False`` is ``"interleaved"``;
  ``rope_parameters`` is the vocabulary's dict plus ``rope_theta = base`` and ``rope_dim =
  rotary_dim`` (vLLM's exact partial-rotary key), the dims past it passing through.
* Layout: vLLM takes tokens first — x ``[..., seq, head_dim]`` becomes the query ``[num_tokens,
  num_heads · head_size]`` (``[num_tokens, num_heads, head_size]`` for DeepSeek's class, whose
  ``forward_native`` slices the last axis without viewing heads, as DeepSeek-V2's MLA passes
  ``q_pe``), with int64 positions ``[seq]`` and a zero key of the same shape; the rotated query is
  reshaped back.
* Scalers, each the class ``get_rope`` picks, and the key names it reads:

  - ``linear`` → ``LinearScalingRotaryEmbedding`` (``factor``; positions divided by it).
  - ``llama3`` → ``Llama3RotaryEmbedding`` (the same keys).
  - ``ntk_alpha`` → ``DynamicNTKAlphaRotaryEmbedding``, vLLM's spelling ``{"rope_type": "dynamic",
    "alpha": α}`` (HunYuan's); the vocabulary's factor is 1 and vLLM reads none.
  - ``dynamic`` → ``DynamicNTKScalingRotaryEmbedding``: its base is b·(s·max_position/
    max_trained_positions − (s − 1))^(d/(d−2)), fixed at construction, the vocabulary's at length
    L = max_position. The adapter passes ``max_trained_positions = original_max_position_embeddings``
    and ``max_position = max(seq_len, L0)`` (L0 without ``seq_len``), so it equals the vocabulary at
    the given length; at L0 the base is b itself.
  - ``yarn`` → ``YaRNScalingRotaryEmbedding`` (``factor``, ``original_max_position_embeddings``,
    ``beta_fast``, ``beta_slow``, ``truncate``, and ``mscale``/``mscale_all_dim``/``attention_factor``
    when set: the same attention-factor rule as Hugging Face's), except DeepSeek's shape — ``mscale``
    and ``mscale_all_dim`` both nonzero, no ``attention_factor``, truncated — which goes to
    ``DeepseekScalingRotaryEmbedding`` (``rope_type="deepseek_yarn"``, what vLLM's DeepSeek-V2/V3
    models build; it has no ``attention_factor`` or ``truncate``, and its defaults mscale 1,
    mscale_all_dim 0 agree with the vocabulary only when both are set). ``llama_4_scaling_beta``
    is an ``attention_scale`` key: not passed.
  - ``longrope`` → ``Phi3LongRoPEScaledRotaryEmbedding`` (half only: it rejects GPT-J style). It
    picks long factors when the engine's ``model_config.max_model_len`` exceeds L0, for good: the
    adapter supplies a model config holding only ``max_model_len = seq_len`` (L0 without seq_len),
    the vocabulary's switch at that length. Its attention factor is √(1 + ln s/ln L0) with s =
    ``max_position / L0``: ``max_position = factor · L0`` (a factor that makes it fractional is not
    provided); an ``attention_factor`` is its ``short_mscale`` and ``long_mscale``.
  - ``proportional`` → ``Gemma4RotaryEmbedding`` (``partial_rotary_factor``; it rotates the whole
    head: ``rotary_dim < head_dim`` is not provided). It has no ``factor`` (``get_rope`` does not
    read one; Hugging Face's Gemma 4 validator does not know the key either): factor ≠ 1 is not
    provided.
  - Multi-axis RoPE (``mrope_section``, ``mrope_interleaved``) with ``default`` or ``yarn`` →
    ``MRotaryEmbedding`` with positions ``[3, seq]`` (rows t, h, w) or ``[seq]``, built with
    ``get_rope``'s default ``mrope_positions_factor`` 4 (Qwen2-VL, Qwen2.5-VL; its cache holds
    ``max_position · 4`` rows). Not provided: M-RoPE with another scaler (``get_rope`` drops the
    section) and Ernie-4.5-VL's alternating axes (an extension this target does not declare).
  - Not provided: vLLM's ``ntk`` is kexue.fm's fixed NTK (θ_i·s^(−(2i+2)/d) with base b·s), not
    bloc97's b·s^(d/(d−2)); the suite's other additions have no counterpart.
* Caches: a module's cache covers positions ``0 … rows − 1``; a position past it (or negative) is
  not provided, never indexed. Where the rows do not change the arithmetic (default, linear,
  llama3, ntk_alpha, proportional) the adapter sizes the cache to the power of two above
  ``max(positions)`` (at most ``MAX_POSITION + 1``); YaRN's holds ``ceil(L0·factor)`` rows (four
  times that under M-RoPE), dynamic NTK's ``L``, LongRoPE's L0 (short) or ``factor · L0`` (long). A cache of more than
  ``_MAX_ENTRIES`` values is not built (not provided). ``get_rope``'s module memo is cleared after
  each build; the adapter keeps the last two modules.
* DTYPES: all four (float64 gets float32 angles: the cache is float32 cast up). No
  ``rope_frequencies`` (vLLM keeps cos/sin caches, not frequencies), no other op.
"""

from __future__ import annotations

import copy
import functools
import math
import os
from importlib.metadata import version
from types import SimpleNamespace

from impl.adapters import require
from spec import validation

torch = require("torch")
if not torch.cuda.is_available():  # VllmConfig() infers the platform: without CUDA it must be told
    os.environ.setdefault("VLLM_TARGET_DEVICE", "cpu")
require("vllm", extra="vllm")
rotary_embedding = require("vllm.model_executor.layers.rotary_embedding", package="vllm", extra="vllm")
from vllm.config import VllmConfig, set_current_vllm_config

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16", "bfloat16")
VERSIONS = {"vllm": version("vllm")}
ROPE_TYPES = ("default", "linear", "dynamic", "ntk_alpha", "yarn", "llama3", "longrope", "proportional")
#: Plain RoPE's cache is sized to the largest position; 2^16 + 1 rows keep it at 2^24 values at head_dim 256.
MAX_POSITION = {"rope_apply": 2**16}
_ROWS = MAX_POSITION["rope_apply"] + 1
_MAX_ENTRIES = _ROWS * 256

_VLLM_CONFIG = VllmConfig()
#: get_rope's default ``mrope_positions_factor`` (Qwen2-VL, Qwen2.5-VL): MRotaryEmbedding's cache rows per max_position.
_MROPE_POSITIONS_FACTOR = 4
_YARN_KEYS = ("factor", "original_max_position_embeddings", "beta_fast", "beta_slow", "truncate")
_OPTIONAL_YARN_KEYS = ("mscale", "mscale_all_dim", "attention_factor")


def _power_of_two_rows(last: int) -> int:
    """Rows for a cache whose size does not change the arithmetic: a power of two > ``last`` (reusable)."""
    return max(min(1 << last.bit_length(), _ROWS), last + 1)


def _axis_keys(config: dict | None) -> dict:
    """vLLM's M-RoPE keys (the vocabulary's names), or none for one row of positions."""
    if config is None or config["mrope_section"] is None:
        return {}
    if config["mrope_hw_alternating"]:
        raise NotImplementedError("Ernie-4.5-VL's alternating h/w axes: get_rope has no such MRotaryEmbedding")
    return {"mrope_section": tuple(config["mrope_section"]), "mrope_interleaved": config["mrope_interleaved"]}


def _deepseek_shaped(config: dict) -> bool:
    return bool(config["mscale"] and config["mscale_all_dim"]) and config["attention_factor"] is None and config["truncate"]


def _mapping(config: dict | None, head_dim: int, rotary_dim: int, last: int, seq_len):
    """(vLLM rope_parameters without theta, max_position, max_model_len or None, rows of the cache used)."""
    rope_type = "default" if config is None else config["rope_type"]
    rows = _power_of_two_rows(last)
    dims = {"rope_dim": rotary_dim}
    axes = _axis_keys(config)
    if axes and rope_type not in ("default", "yarn"):
        raise NotImplementedError(f"multi-axis RoPE with rope_type {rope_type!r}: vLLM's MRotaryEmbedding is plain or YaRN")
    if rope_type == "default" and axes:  # MRotaryEmbedding's cache holds max_position · positions_factor rows
        max_position = math.ceil(rows / _MROPE_POSITIONS_FACTOR)
        return {"rope_type": "default", **axes, **dims}, max_position, None, max_position * _MROPE_POSITIONS_FACTOR
    if rope_type == "default":
        return {"rope_type": "default", **dims}, rows, None, rows
    if rope_type == "linear":
        factor = config["factor"]
        max_position = math.ceil(rows / factor)
        return {"rope_type": "linear", "factor": factor, **dims}, max_position, None, math.ceil(max_position * factor)
    if rope_type == "llama3":
        keys = ("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings")
        return {"rope_type": "llama3", **{k: config[k] for k in keys}, **dims}, rows, None, rows
    if rope_type == "ntk_alpha":
        return {"rope_type": "dynamic", "alpha": config["alpha"], **dims}, rows, None, rows
    if rope_type == "dynamic":
        original = config["original_max_position_embeddings"]
        length = max(seq_len or original, original)
        return ({"rope_type": "dynamic", "factor": config["factor"], "max_trained_positions": original, **dims},
                length, None, length)
    if rope_type == "yarn":
        original = config["original_max_position_embeddings"]
        rows = math.ceil(original * (_MROPE_POSITIONS_FACTOR if axes else 1) * config["factor"])
        if _deepseek_shaped(config) and not axes:
            keys = ("factor", "original_max_position_embeddings", "beta_fast", "beta_slow", "mscale", "mscale_all_dim")
            return {"rope_type": "deepseek_yarn", **{k: config[k] for k in keys}, **dims}, original, None, rows
        optional = {k: config[k] for k in _OPTIONAL_YARN_KEYS if config[k] is not None}
        return {"rope_type": "yarn", **{k: config[k] for k in _YARN_KEYS}, **optional, **axes, **dims}, original, None, rows
    if rope_type == "longrope":
        original = config["original_max_position_embeddings"]
        parameters = {"rope_type": "longrope", "original_max_position_embeddings": original,
                      "short_factor": tuple(config["short_factor"]), "long_factor": tuple(config["long_factor"]), **dims}
        if config["attention_factor"] is None:
            max_position = config["factor"] * original
            if not max_position.is_integer():
                raise NotImplementedError(f"longrope factor {config['factor']} · L0 {original} is not an integer: vLLM "
                                          "takes the factor as max_position / L0 with an integer max_position")
            max_position = int(max_position)
        else:
            parameters.update(short_mscale=config["attention_factor"], long_mscale=config["attention_factor"])
            max_position = rows
        max_model_len = seq_len or original
        return parameters, max_position, max_model_len, max_position if max_model_len > original else original
    if rope_type == "proportional":
        if rotary_dim != head_dim:
            raise NotImplementedError("proportional RoPE with rotary_dim < head_dim: vLLM's Gemma4RotaryEmbedding "
                                      "rotates the whole head")
        if config["factor"] != 1:
            raise NotImplementedError("proportional RoPE with factor != 1: vLLM's Gemma4RotaryEmbedding has no factor")
        return {"rope_type": "proportional", "partial_rotary_factor": config["partial_rotary_factor"]}, rows, None, rows
    raise NotImplementedError(f"rope_type {rope_type!r}: vLLM has no scaler with the vocabulary's meaning "
                              "(see the module docstring)")


def _cache_entries(parameters: dict, max_position: int, rotary_dim: int, rows: int) -> int:
    """Values of the cos/sin cache(s) vLLM will build (LongRoPE builds a short and a long one)."""
    if parameters["rope_type"] == "longrope":
        return (parameters["original_max_position_embeddings"] + max_position) * rotary_dim
    if parameters["rope_type"] in ("yarn", "deepseek_yarn", "linear") or "mrope_section" in parameters:
        return rows * rotary_dim
    return max_position * rotary_dim


@functools.lru_cache(maxsize=2)
def _module(head_dim: int, max_position: int, neox: bool, frozen: tuple, dtype, max_model_len):
    config = _VLLM_CONFIG
    if max_model_len is not None:  # Phi3LongRoPEScaledRotaryEmbedding reads the engine's model_config.max_model_len
        config = copy.copy(_VLLM_CONFIG)
        object.__setattr__(config, "model_config", SimpleNamespace(max_model_len=max_model_len))
    with set_current_vllm_config(config):
        try:
            rope = rotary_embedding.get_rope(head_dim, max_position, neox, dict(frozen), dtype,
                                             mrope_positions_factor=_MROPE_POSITIONS_FACTOR)
        except ValueError as error:  # Phi3LongRoPEScaledRotaryEmbedding: "only supports neox_style"
            raise NotImplementedError(f"vLLM: {error}") from error
        finally:
            rotary_embedding._ROPE_DICT.clear()  # get_rope memoises every module (and its cache) by its arguments
    return rope


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    head_dim, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len,
                                                                  multi_axis=True)
    seq = x.shape[-2]
    if seq and int(positions.min()) < 0:
        raise NotImplementedError("negative positions: vLLM looks positions up in a cos/sin cache")
    last = int(positions.max()) if seq else 0
    parameters, max_position, max_model_len, rows = _mapping(config, head_dim, rd, last, seq_len)
    if last >= rows:
        raise NotImplementedError(f"position {last} is beyond vLLM's cos/sin cache of {rows} rows for this configuration")
    entries = _cache_entries(parameters, max_position, rd, rows)
    if entries > _MAX_ENTRIES:
        raise NotImplementedError(f"vLLM would build a cos/sin cache of {entries} values here (the adapter's bound: "
                                  f"{_MAX_ENTRIES})")
    frozen = tuple({**parameters, "rope_theta": base}.items())
    rope = _module(head_dim, max_position, layout == "half", frozen, x.dtype, max_model_len)
    tokens = x.reshape(-1, seq, head_dim).transpose(0, 1)  # [seq, heads, head_dim]
    heads = tokens.shape[1]
    deepseek = isinstance(rope, rotary_embedding.DeepseekScalingRotaryEmbedding)
    query = tokens if deepseek else tokens.reshape(seq, heads * head_dim)  # [num_tokens, num_heads · head_size]
    forward = getattr(rope, "forward_native", rope.forward)
    with torch.no_grad():
        rotated, _ = forward(positions.to(torch.int64), query, torch.zeros_like(query))
    return rotated.reshape(seq, heads, head_dim).transpose(0, 1).reshape(x.shape)
