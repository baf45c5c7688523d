"""Target ``transformers-models``: Hugging Face transformers' model-specific positional code (v5).

Each case runs in the module of the released model that ships it (``transformers.models.<model>``),
on the smallest config of that model (one layer, one head, ``hidden_size = head_dim``); the generic
Llama path is the ``transformers`` target. What runs for each op, and the conventions this adapter
converts:

* ``rope_frequencies`` / ``rope_apply``, by rope_type and layout:

  ==================  ===========  =====================================================================
  rope_type           layout       module (rotary embedding → rotation)
  ==================  ===========  =====================================================================
  ``proportional``    half         Gemma 4: ``Gemma4TextRotaryEmbedding`` (layer type
                                   ``"full_attention"``, ``rope_parameters`` per layer type, the head
                                   width ``global_head_dim``) → ``gemma4.apply_rotary_pos_emb``
  ``ntk_alpha``       half         HunYuan: ``HunYuanDenseV1RotaryEmbedding`` → its
                                   ``apply_rotary_pos_emb``
  ``yarn``            half         DeepSeek-V3: ``DeepseekV3RotaryEmbedding`` → ``apply_rotary_pos_emb``
                                   (``rope_interleave=False``)
  ``yarn``            interleaved  DeepSeek-V3 → ``apply_rotary_pos_emb_interleave`` (``rope_interleave=True``)
  ``llama3``, plain   interleaved  Llama 4: ``Llama4TextRotaryEmbedding`` (complex ``freqs_cis``) →
                                   ``llama4.apply_rotary_emb`` (complex multiply in float32)
  ==================  ===========  =====================================================================

  Every other combination is not provided: the models above are the only ones shipping these
  variants (Gemma 4 and HunYuan rotate half, Llama 4 is complex-interleaved only), and the other
  rope_types of Hugging Face's vocabulary run in the generic modules (the ``transformers`` target).
  ``rope_frequencies`` returns the ``inv_freq`` buffer and ``attention_scaling`` the same rotary
  module computes at construction (its own init function for the rope_type: HunYuan's
  ``compute_ntk_alpha_rope_parameters``, Llama 4's ``compute_default_rope_parameters`` for plain,
  ``ROPE_INIT_FUNCTIONS`` for the rest), with the protocol's ``rotary_dim`` as the model's
  rotary head width (``global_head_dim``, ``head_dim``, ``qk_rope_head_dim``).

  Conventions converted:

  - ``scaling`` is passed through as the model's ``rope_parameters`` plus ``rope_theta = base``,
    keys holding None (defaults the suite filled in) dropped; YaRN's ``llama_4_scaling_beta`` is not
    a RoPE key (it is ``attention_scale``'s) and is dropped; ``ramp`` is always ``"index"`` here (the
    extension is not declared). HunYuan's rope gets the spelling its checkpoints ship,
    ``{"rope_type": "dynamic", "alpha": α, "factor": 1}``, which ``HunYuanDenseV1RotaryEmbedding``
    itself rewrites to ``"ntk_alpha"``. DeepSeek's yarn reads its attention factor from
    ``ROPE_INIT_FUNCTIONS["yarn"]``, which honours ``attention_factor`` and otherwise takes
    mscale(s, mscale)/mscale(s, mscale_all_dim).
  - ``seq_len`` is ignored: every rope_type here is static. The rotary ``forward`` is called without
    its ``dynamic_rope_update`` decorator (which only acts for dynamic/longrope types anyway), so the
    frequencies are the ones built at construction.
  - x ``[..., seq, head_dim]`` is viewed as the models' ``[batch, seq, head_dim]`` (``cos``/``sin``
    unsqueezed at dim 0) and, for Llama 4, as ``[1, seq, batch, head_dim]`` (its ``[batch, seq,
    heads, head_dim]``, made contiguous as its ``q_proj`` output is: ``apply_rotary_emb``'s
    ``view_as_complex`` needs a unit stride in the last dim); the result is reshaped back to x's shape.
  - DeepSeek's ``apply_rotary_pos_emb_interleave`` returns the rotated pairs de-interleaved,
    ``[x'₀, x'₂, … | x'₁, x'₃, …]`` (the same permutation for q and k, so q·k is unchanged, which is
    all the model needs); the adapter writes them back to their lanes (2i, 2i+1).
  - Partial rotary (``rotary_dim < head_dim``): only DeepSeek's MLA has it, with the rotary part
    *last* (``q_pass, q_rot = split(q, [qk_nope_head_dim, qk_rope_head_dim])``, then
    ``cat(q_pass, q_rot)``); the adapter rotates the protocol's first ``rotary_dim`` lanes as
    ``q_rot`` and passes the rest through. Gemma 4's, HunYuan's and Llama 4's rotations multiply
    the whole head by cos/sin of its full width: not provided.

* ``attention_scale``: the factor the model multiplies q·kᵀ by, as the product of what the
  library computes —

  - the softmax scale: ``head_dim ** -0.5`` as every model sets ``self.scaling``; with
    ``softmax_mscale``, DeepSeek-V3's ``yarn_apply_mscale(rope_parameters, head_dim ** -0.5)``
    (Mistral 4's identical copy when ``llama_4_scaling_beta`` is set too: the model shipping both);
  - ``llama_4_scaling_beta``: Ministral 3's ``get_llama_4_attn_scale(position_ids, β, L0)``
    (Mistral 4's copy when combined with the softmax mscale), which the models multiply into the
    queries;
  - ``temperature``: Llama 4's attention temperature tuning, inline code of
    ``Llama4TextAttention.forward``: the real module runs on a NoPE layer (``no_rope_layers = [0]``;
    ``qk_norm`` exists only on RoPE layers) with ``q_proj`` set to the identity on an all-ones input,
    and an attention function registered in transformers' ``AttentionInterface`` captures the
    query and the ``scaling`` it is handed; the factor is captured query / input. HF takes the
    temperature's position from the cache length (``arange(q_len) + cache.get_seq_length()``), not
    from ``position_ids``: contiguous positions p₀, p₀+1, … are fed as a stand-in cache of length
    p₀ (its ``update`` returns k, v unchanged); other positions (packed sequences, left padding) are
    not provided. Its config rejects an odd ``head_dim`` (the RoPE layers need pairs): not provided.

  The per-position factors come back as float32 tensors (the library's); without one the scale is
  the library's Python float, returned in float64. Importing this module registers the capturing
  attention function under the name ``"posenc_conformance_capture"`` (no existing entry changes).

``DTYPES`` lists float64 too, as the ``transformers`` target does: every module here builds its angles
in float32 (and Llama 4 rounds x itself to float32), so float64 results are float32-accurate.
"""

from __future__ import annotations

import inspect
import math
from functools import lru_cache

from impl.adapters import flat_positions, require
from spec import validation

torch = require("torch")
transformers = require("transformers")
from transformers import (
    DeepseekV3Config,
    Gemma4TextConfig,
    HunYuanDenseV1Config,
    Llama4TextConfig,
)
from transformers.modeling_utils import AttentionInterface
from transformers.models.deepseek_v3 import modeling_deepseek_v3 as deepseek_v3
from transformers.models.gemma4 import modeling_gemma4 as gemma4
from transformers.models.hunyuan_v1_dense import modeling_hunyuan_v1_dense as hunyuan
from transformers.models.llama4 import modeling_llama4 as llama4
from transformers.models.ministral3 import modeling_ministral3 as ministral3
from transformers.models.mistral4 import modeling_mistral4 as mistral4

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16", "bfloat16")
VERSIONS = {"transformers": transformers.__version__}
ROPE_TYPES = ("default", "llama3", "yarn", "proportional", "ntk_alpha")
EXTENSIONS = ()

#: Where the rope_types this target leaves out run in transformers.
_ELSEWHERE = {
    "linear": "transformers' generic rotary modules (LlamaRotaryEmbedding: the 'transformers' target)",
    "dynamic": "transformers' generic rotary modules (LlamaRotaryEmbedding: the 'transformers' target)",
    "longrope": "Phi-3 (transformers.models.phi3) and the generic modules (the 'transformers' target)",
}
_GEMMA4_LAYER = "full_attention"
_CAPTURE = "posenc_conformance_capture"


def _unwrapped(cls):
    """The rotary module's ``forward`` without ``dynamic_rope_update`` (which derives a length from the positions)."""
    return inspect.unwrap(cls.forward)


_FORWARD = {
    "proportional": _unwrapped(gemma4.Gemma4TextRotaryEmbedding),
    "ntk_alpha": _unwrapped(hunyuan.HunYuanDenseV1RotaryEmbedding),
    "yarn": _unwrapped(deepseek_v3.DeepseekV3RotaryEmbedding),
    "llama4": _unwrapped(llama4.Llama4TextRotaryEmbedding),
}


def _not_here(rope_type: str) -> NotImplementedError:
    where = _ELSEWHERE.get(rope_type, "no transformers model (an extension of this suite's vocabulary)")
    return NotImplementedError(f"rope_type {rope_type!r} is not one of the model-specific variants here; it runs in {where}")


def _rope_parameters(config: dict | None, base: float) -> dict:
    """The model's ``rope_parameters``: the user's dict with ``rope_theta``, keys holding None dropped."""
    if config is None:
        return {"rope_type": "default", "rope_theta": base}
    params = {key: value for key, value in config.items() if value is not None}
    if params.pop("ramp", "index") != "index":
        raise NotImplementedError("transformers' YaRN ramp is the index ramp ('ramp': 'index')")
    params.pop("llama_4_scaling_beta", None)  # a query temperature (attention_scale), not a RoPE key
    return {**params, "rope_theta": base}


def _freeze(config):
    return None if config is None else tuple(sorted(config.items()))


@lru_cache(maxsize=256)
def _rotary(rotary_dim: int, head_dim: int, base: float, frozen, interleave: bool):
    """(model, rotary module, forward) for a validated configuration; ``rotary_dim`` is the rotary head width."""
    config = dict(frozen) if frozen is not None else None
    rope_type = "default" if config is None else config["rope_type"]
    params = _rope_parameters(config, base)
    one_head = {"num_hidden_layers": 1, "hidden_size": head_dim, "num_attention_heads": 1, "num_key_value_heads": 1}
    if rope_type == "proportional":
        cfg = Gemma4TextConfig(**one_head, head_dim=rotary_dim, global_head_dim=rotary_dim,
                               layer_types=[_GEMMA4_LAYER], rope_parameters={_GEMMA4_LAYER: params})
        return "gemma4", gemma4.Gemma4TextRotaryEmbedding(cfg), _FORWARD["proportional"]
    if rope_type == "ntk_alpha":
        # HunYuan's checkpoints write {"type": "dynamic", "alpha": α}; the module reads that as ntk_alpha.
        shipped = {"rope_type": "dynamic", "alpha": params["alpha"], "factor": params["factor"], "rope_theta": base}
        cfg = HunYuanDenseV1Config(**one_head, head_dim=rotary_dim, rope_parameters=shipped)
        return "hunyuan", hunyuan.HunYuanDenseV1RotaryEmbedding(cfg), _FORWARD["ntk_alpha"]
    if rope_type == "yarn":
        cfg = DeepseekV3Config(**one_head, qk_rope_head_dim=rotary_dim, qk_nope_head_dim=head_dim - rotary_dim,
                               v_head_dim=head_dim, q_lora_rank=None, kv_lora_rank=rotary_dim, rope_interleave=interleave,
                               max_position_embeddings=params["original_max_position_embeddings"], rope_parameters=params)
        return "deepseek_v3", deepseek_v3.DeepseekV3RotaryEmbedding(cfg), _FORWARD["yarn"]
    if rope_type in ("default", "llama3"):
        length = params.get("original_max_position_embeddings", 8192)
        length = max(length, math.ceil(length * params.get("factor", 1.0)))
        cfg = Llama4TextConfig(**one_head, head_dim=rotary_dim, max_position_embeddings=length, rope_parameters=params)
        return "llama4", llama4.Llama4TextRotaryEmbedding(cfg), _FORWARD["llama4"]
    raise _not_here(rope_type)


def rope_frequencies(rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
    dim, base, config = validation.scaled_rope_frequencies_args(rotary_dim, base, scaling, seq_len)
    model, module, _ = _rotary(dim, dim, base, _freeze(config), False)
    if model == "gemma4":
        inv_freq = getattr(module, f"{_GEMMA4_LAYER}_inv_freq")
        attention = getattr(module, f"{_GEMMA4_LAYER}_attention_scaling")
    else:
        inv_freq, attention = module.inv_freq, module.attention_scaling
    return inv_freq.clone(), float(attention)


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    head_dim, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    rope_type = "default" if config is None else config["rope_type"]
    if rope_type not in ROPE_TYPES:
        raise _not_here(rope_type)
    if rope_type in ("default", "llama3") and layout == "half":
        raise NotImplementedError("Llama 4 (the model shipping llama3 / plain RoPE here) rotates complex-interleaved pairs; "
                                  "the half layout is the generic path (the 'transformers' target)")
    if rope_type in ("proportional", "ntk_alpha") and layout == "interleaved":
        model = "Gemma 4" if rope_type == "proportional" else "HunYuan"
        raise NotImplementedError(f"{model} rotates half layout (rotate_half) only")
    if rd != head_dim and rope_type != "yarn":
        model = {"proportional": "Gemma 4", "ntk_alpha": "HunYuan"}.get(rope_type, "Llama 4")
        raise NotImplementedError(f"{model} rotates the whole head (cos/sin of its full width): no partial rotary")
    model, module, forward = _rotary(rd, head_dim, base, _freeze(config), layout == "interleaved")
    seq = x.shape[-2]
    position_ids = flat_positions(torch, positions)
    with torch.no_grad():
        if model == "llama4":
            freqs_cis = forward(module, x, position_ids)  # [1, seq, head_dim / 2] complex64
            # [1, seq, batch, head_dim], contiguous as q_proj's output is (view_as_complex needs a unit last stride)
            as_heads = x.contiguous().reshape(-1, seq, head_dim).transpose(0, 1)[None]
            rotated, _ = llama4.apply_rotary_emb(as_heads, as_heads, freqs_cis)
            return rotated[0].transpose(0, 1).reshape(x.shape)
        x3 = x.reshape(-1, seq, head_dim)
        if model == "gemma4":
            cos, sin = forward(module, x, position_ids, _GEMMA4_LAYER)
            return gemma4.apply_rotary_pos_emb(x3, cos[0], sin[0], unsqueeze_dim=0).reshape(x.shape)
        cos, sin = forward(module, x, position_ids)
        if model == "hunyuan":
            rotated, _ = hunyuan.apply_rotary_pos_emb(x3, x3, cos[0], sin[0], unsqueeze_dim=0)
            return rotated.reshape(x.shape)
        # DeepSeek-V3: the rotary lanes are q_rot (the protocol's first rotary_dim lanes), the rest q_pass.
        x_rot, x_pass = x3[..., :rd], x3[..., rd:]
        if layout == "half":
            rotated, _ = deepseek_v3.apply_rotary_pos_emb(x_rot, x_rot, cos[0], sin[0], unsqueeze_dim=0)
        else:
            rotated, _ = deepseek_v3.apply_rotary_pos_emb_interleave(x_rot, x_rot, cos[0], sin[0], unsqueeze_dim=0)
            # [evens | odds] back to lanes (2i, 2i + 1)
            rotated = rotated.unflatten(-1, (2, rd // 2)).transpose(-1, -2).flatten(-2)
        return torch.cat([rotated, x_pass], dim=-1).reshape(x.shape)


# --- attention_scale ----------------------------------------------------------------------------


def _capture_attention(module, query, key, value, attention_mask, scaling=None, **kwargs):
    """An attention function that records the query and scaling the model hands it (Llama 4's temperature)."""
    module.posenc_captured = (query, scaling)
    batch, heads, seq, dim = query.shape
    return query.new_zeros(batch, seq, heads, dim), None


AttentionInterface.register(_CAPTURE, _capture_attention)


class _CacheAt:
    """A stand-in cache of ``length`` tokens: Llama 4 reads its temperature positions from the cache length."""

    def __init__(self, length: int):
        self.length = length

    def get_seq_length(self, layer_idx=0):
        return self.length

    def update(self, key_states, value_states, layer_idx, *args, **kwargs):
        return key_states, value_states


@lru_cache(maxsize=64)
def _llama4_nope_attention(head_dim: int, attn_scale: float, floor_scale: int):
    """Llama 4's attention on a NoPE layer with temperature tuning; q_proj (and o_proj) the identity."""
    config = Llama4TextConfig(num_hidden_layers=1, hidden_size=head_dim, num_attention_heads=1, num_key_value_heads=1,
                              head_dim=head_dim, no_rope_layers=[0], attn_temperature_tuning=True, attn_scale=attn_scale,
                              floor_scale=floor_scale, attn_implementation=_CAPTURE)
    attention = llama4.Llama4TextAttention(config, layer_idx=0)
    if attention.use_rope or hasattr(attention, "qk_norm"):
        raise AssertionError("layer 0 should be a NoPE layer without qk_norm")
    with torch.no_grad():
        attention.q_proj.weight.copy_(torch.eye(head_dim))
    return attention


def _llama4_temperature(positions, head_dim: int, attn_scale: float, floor_scale: int):
    """(captured query / input ``[seq]`` float32, the scaling Llama 4 hands the attention function)."""
    seq = positions.shape[0]
    start = int(positions[0]) if seq else 0
    if seq and not torch.equal(positions.to(torch.int64), torch.arange(start, start + seq, dtype=torch.int64)):
        raise NotImplementedError("HF Llama 4 derives the temperature position from the cache length, not position_ids: "
                                  "only contiguous positions")
    if start < 0:
        raise NotImplementedError("HF Llama 4 derives the temperature position from the cache length, which is >= 0")
    if head_dim % 2:
        raise NotImplementedError("HF's Llama4TextConfig rejects an odd head_dim (its RoPE layers rotate pairs), "
                                  "so its attention cannot be built for one")
    attention = _llama4_nope_attention(head_dim, attn_scale, floor_scale)
    hidden = torch.ones(1, seq, head_dim)
    with torch.no_grad():
        attention(hidden, None, None, cache=_CacheAt(start))
    query, scaling = attention.posenc_captured
    del attention.posenc_captured
    return query[0, 0, :, 0] / hidden[0, :, 0], scaling


def attention_scale(positions, head_dim, *, scaling=None, softmax_mscale=False, temperature=None):
    head_dim, config, softmax_mscale, temperature = validation.attention_scale_args(
        positions, head_dim, scaling, softmax_mscale, temperature)
    beta = None if config is None else config.get("llama_4_scaling_beta")
    rope_parameters = config if config is not None else {"rope_type": "default"}
    factors = []
    if beta is not None:  # Ministral 3; Mistral 4 when it comes with the softmax mscale
        module = mistral4 if softmax_mscale else ministral3
        scale = module.get_llama_4_attn_scale(flat_positions(torch, positions), beta,
                                              config["original_max_position_embeddings"])
        factors.append(scale[0, 0, :, 0])
    softmax = head_dim ** -0.5  # every model's self.scaling
    if temperature is not None:
        tuned, softmax = _llama4_temperature(positions, head_dim, *temperature)
        factors.append(tuned)
    if softmax_mscale:  # DeepSeek-V3's (Mistral 4's with llama_4_scaling_beta) softmax scale
        softmax = (mistral4 if beta is not None else deepseek_v3).yarn_apply_mscale(rope_parameters, head_dim ** -0.5)
    if not factors:
        return torch.full((positions.shape[0],), softmax, dtype=torch.float64)
    result = factors[0]
    for factor in factors[1:]:
        result = result * factor
    return result * softmax
