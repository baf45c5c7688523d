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

  Multi-axis RoPE (``scaling['mrope_section']``; positions ``[3, seq]`` or ``[seq]``), by axis map,
  layout and rotary width, for rope_types ``default``, ``llama3`` and ``yarn`` (each module builds a
  non-default rope_type's ``inv_freq`` with ``ROPE_INIT_FUNCTIONS``, as Qwen2.5-VL's shipped YaRN recipes
  run):

  ===========  ===========  =======  ==================================================================
  axis map     layout       rotary   module (rotary embedding → rotation)
  ===========  ===========  =======  ==================================================================
  chunked      half         full     Qwen2-VL: ``Qwen2VLRotaryEmbedding`` (``recomposition_frequencies``:
                                     ``split(mrope_section)``, chunk i from row i % 3) →
                                     ``qwen2_vl.apply_rotary_pos_emb`` (rotate_half, whole head)
  chunked      half         partial  GLM-4.5V: ``Glm4vMoeTextRotaryEmbedding`` (the same chunks) →
                                     ``glm4v_moe.apply_rotary_pos_emb`` (rotate_half on the first
                                     ``cos.shape[-1]`` lanes, the rest passed through)
  interleaved  half         full     Qwen3-VL: ``Qwen3VLTextRotaryEmbedding`` (h at j % 3 = 1, j < 3·s_h; w
                                     at j % 3 = 2, j < 3·s_w; t elsewhere) → ``qwen3_vl.apply_rotary_pos_emb``
  interleaved  half         partial  Qwen3.5: ``Qwen3_5TextRotaryEmbedding`` (Qwen3-VL's map) →
                                     ``qwen3_5.apply_rotary_pos_emb`` (partial, as GLM-4.5V's)
  chunked      interleaved  any      GLM-4V: ``Glm4vTextRotaryEmbedding`` (the chunks, cos/sin
                                     ``repeat_interleave(2)``) → ``glm4v.apply_rotary_pos_emb``
                                     (``rotate_half_llm``: GPT-J pairs (2i, 2i+1), partial as above)
  Ernie        interleaved  full     Ernie-4.5-VL (``mrope_hw_alternating``, an extension this target
                                     declares): ``Ernie4_5_VLMoeTextRotaryEmbedding`` (``inv_freq``
                                     pre-permuted, chunks from rows (i + 1) % 3, h/w re-interleaved) →
                                     ``ernie4_5_vl.apply_rotary_pos_emb`` (``rotate_half_text``); rope_type
                                     ``default`` only (the module rejects others). Without t pairs (s_t = 0)
                                     it crashes (``inv_freq[-0:]`` is the whole ladder): not provided, a
                                     defect
  ===========  ===========  =======  ==================================================================

  The interleaved axis map with interleaved lanes is not provided: no transformers model ships it
  (Qwen3-VL's map rotates half everywhere). Nor are
  M-RoPE with ``proportional`` or ``ntk_alpha`` (no model combines them). None of these modules reads
  ``mrope_interleaved``: the map is the model's (Qwen2-VL, GLM chunked; Qwen3-VL, Qwen3.5 interleaved),
  so the adapter picks the model by it. Qwen2.5-VL's text rotary module
  (``Qwen2_5_VLRotaryEmbedding``) and ``apply_rotary_pos_emb`` are Qwen2-VL's code verbatim (checked
  in transformers 5.24, names aside), so Qwen2-VL's module stands for both. The plain cases above never
  see an ``mrope_section``: M-RoPE is dispatched before them.

  Every other combination is not provided: the models above are the only ones shipping these
  variants (Gemma 4 and HunYuan rotate half, Llama 4 is complex-interleaved only), and the other
  rope_types of Hugging Face's vocabulary run in the generic modules (the ``transformers`` target).
  ``rope_frequencies`` returns the ``inv_freq`` buffer and ``attention_scaling`` the same rotary
  module computes at construction (its own init function for the rope_type: HunYuan's
  ``compute_ntk_alpha_rope_parameters``, Llama 4's ``compute_default_rope_parameters`` for plain,
  ``ROPE_INIT_FUNCTIONS`` for the rest), with the protocol's ``rotary_dim`` as the model's
  rotary head width (``global_head_dim``, ``head_dim``, ``qk_rope_head_dim``); with an
  ``mrope_section``, Qwen2-VL's (chunked) or Qwen3-VL's (interleaved) module's, whose head is the
  rotary width.

  Conventions converted:

  - ``scaling`` is passed through as the model's ``rope_parameters`` plus ``rope_theta = base``,
    keys holding None (defaults the suite filled in) dropped; YaRN's ``llama_4_scaling_beta`` is not
    a RoPE key (it is ``attention_scale``'s) and is dropped; ``ramp`` is always ``"index"`` here (the
    extension is not declared). HunYuan's rope gets the spelling its checkpoints ship,
    ``{"rope_type": "dynamic", "alpha": α, "factor": 1}``, which ``HunYuanDenseV1RotaryEmbedding``
    itself rewrites to ``"ntk_alpha"``. DeepSeek's yarn reads its attention factor from
    ``ROPE_INIT_FUNCTIONS["yarn"]``, which honours ``attention_factor`` and otherwise takes
    mscale(s, mscale)/mscale(s, mscale_all_dim).
  - M-RoPE: ``mrope_section`` goes into ``rope_parameters`` as the list the checkpoints ship;
    ``mrope_interleaved`` is dropped for Qwen2-VL and the GLMs (their configs do not know the key) and
    written ``True`` for Qwen3-VL and Qwen3.5 (as their checkpoints ship it; the modules ignore it).
    Positions ``[3, seq]`` become ``position_ids`` ``(3, 1, seq)`` (rows t, h, w over a batch of one).
    Positions ``[seq]`` become three equal rows ``(3, 1, seq)``: what the text models hand their rotary
    module for a 2-D ``position_ids`` (``position_ids[None].expand(3, batch, -1)`` in
    ``Qwen2VLTextModel.forward`` and the others; Qwen3.5 expands to 4 rows, the first its text positions,
    and rotates by the other three); the rotary ``forward``'s own ``expand(3, -1, -1)``
    would broadcast a ``(1, seq)`` input to the same rows, so both are the same values — the three rows
    are the model's path. Partial rotary (``rotary_dim < head_dim``; GLM-4V, GLM-4.5V, Qwen3.5) is the
    model's ``partial_rotary_factor`` p, whose rotary width is ``int(head_dim * p)``: p = rotary_dim /
    head_dim, stepped up to the next float where that product truncates below rotary_dim (e.g. 30/44·44
    = 29.999…; the shipped factors 0.5 and 0.25 are exact). The rotated lanes are the first
    ``rotary_dim``, the protocol's.
  - ``seq_len`` is ignored: every rope_type here (M-RoPE's included) is static. The rotary ``forward``
    is called without its ``dynamic_rope_update`` decorator (which only acts for dynamic/longrope types
    anyway), so the frequencies are the ones built at construction.
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
    the whole head by cos/sin of its full width: not provided. With M-RoPE, see the table above
    (Qwen2-VL and Qwen3-VL rotate the whole head, so partial rotary runs in GLM-4.5V or Qwen3.5).

* ``mrope_positions``: ``get_rope_index`` of a one-layer ``Qwen2VLModel`` (``tokens_per_second`` None:
  frames at their index) or ``Qwen2_5_VLModel`` (``vision_config.tokens_per_second``, an integer in its
  config: a fractional one is not provided; ``second_per_grid_ts`` per video). The segments become the
  model's inputs: ``mm_token_type_ids`` (0 text, 1 image, 2 video, one per merged token), zero
  ``input_ids`` (the method reads only the types), ``image_grid_thw``/``video_grid_thw`` in order; the
  result is ``position_ids[:, 0]`` (batch of one). Two adjacent grids of one kind are not provided: the
  method groups consecutive tokens of a modality into one grid, and real prompts put vision start/end
  tokens (text) between them.
* ``axial_rope_apply``: the vision towers' rotary module, ``Qwen2VLVisionRotaryEmbedding`` (rope_type
  ``"axial"``, ``rope_theta = base``, ``embed_dim = head_dim`` with one head) on ``position_ids (N, 2)`` =
  positions transposed (what ``get_vision_position_ids`` hands it: the code's shape, its comment says
  (2, N)) → ``apply_rotary_pos_emb_vision`` (q in float32, rotate_half over the whole head: ``"half"``
  only), x ``[..., seq, head_dim]`` as the towers' ``[seq, heads, head_dim]``. Qwen2.5-VL's, Qwen3-VL's,
  GLM-4V's and Ernie-4.5-VL's vision rotary modules are the same arithmetic (checked in transformers 5.24:
  they differ only in a config attribute's name and a ``device`` argument) and their
  ``apply_rotary_pos_emb_vision`` is identical.
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
    Glm4vMoeTextConfig,
    Glm4vTextConfig,
    HunYuanDenseV1Config,
    Llama4TextConfig,
    Qwen2VLTextConfig,
    Qwen3_5TextConfig,
    Qwen3VLTextConfig,
)
from transformers.modeling_utils import AttentionInterface
from transformers.models.deepseek_v3 import modeling_deepseek_v3 as deepseek_v3
from transformers.models.ernie4_5_vl_moe import modeling_ernie4_5_vl_moe as ernie4_5_vl
from transformers.models.ernie4_5_vl_moe.configuration_ernie4_5_vl_moe import (
    Ernie4_5_VLMoeTextConfig,
)
from transformers.models.gemma4 import modeling_gemma4 as gemma4
from transformers.models.glm4v import modeling_glm4v as glm4v
from transformers.models.glm4v_moe import modeling_glm4v_moe as glm4v_moe
from transformers.models.hunyuan_v1_dense import modeling_hunyuan_v1_dense as hunyuan
from transformers.models.llama4 import modeling_llama4 as llama4
from transformers.models.ministral3 import modeling_ministral3 as ministral3
from transformers.models.mistral4 import modeling_mistral4 as mistral4
from transformers.models.qwen2_vl import modeling_qwen2_vl as qwen2_vl
from transformers.models.qwen2_vl.configuration_qwen2_vl import Qwen2VLVisionConfig
from transformers.models.qwen3_5 import modeling_qwen3_5 as qwen3_5
from transformers.models.qwen3_vl import modeling_qwen3_vl as qwen3_vl

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16", "bfloat16")
VERSIONS = {"transformers": transformers.__version__}
ROPE_TYPES = ("default", "llama3", "yarn", "proportional", "ntk_alpha")
EXTENSIONS = ("mrope_hw_alternating",)  # Ernie-4.5-VL's axis map, by its own module

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

#: M-RoPE: model → (module, text config class, rotary class, whether the config takes ``head_dim``).
_MROPE_MODELS = {
    "qwen2_vl": (qwen2_vl, Qwen2VLTextConfig, qwen2_vl.Qwen2VLRotaryEmbedding, False),
    "glm4v_moe": (glm4v_moe, Glm4vMoeTextConfig, glm4v_moe.Glm4vMoeTextRotaryEmbedding, False),
    "qwen3_vl": (qwen3_vl, Qwen3VLTextConfig, qwen3_vl.Qwen3VLTextRotaryEmbedding, True),
    "qwen3_5": (qwen3_5, Qwen3_5TextConfig, qwen3_5.Qwen3_5TextRotaryEmbedding, True),
    "glm4v": (glm4v, Glm4vTextConfig, glm4v.Glm4vTextRotaryEmbedding, False),
    "ernie4_5_vl": (ernie4_5_vl, Ernie4_5_VLMoeTextConfig, ernie4_5_vl.Ernie4_5_VLMoeTextRotaryEmbedding, True),
}
_MROPE_FORWARD = {model: _unwrapped(entry[2]) for model, entry in _MROPE_MODELS.items()}
#: The rope_types the M-RoPE modules build (through ROPE_INIT_FUNCTIONS) that this target declares.
_MROPE_TYPES = ("default", "llama3", "yarn")


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
    params.pop("mrope_section", None)  # the axis keys: only the M-RoPE models take them (_mrope_rotary)
    params.pop("mrope_interleaved", None)
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
    if _is_mrope(config):  # the M-RoPE model's own inv_freq (the axis map does not change the frequencies)
        model = "qwen3_vl" if config["mrope_interleaved"] else "qwen2_vl"
        _check_mrope_type(config["rope_type"], model)
        module = _mrope_rotary(model, dim, dim, base, _freeze(config))
        return module.inv_freq.clone(), float(module.attention_scaling)
    model, module, _ = _rotary(dim, dim, base, _freeze(config), False)
    if model == "gemma4":
        inv_freq = getattr(module, f"{_GEMMA4_LAYER}_inv_freq")
        attention = getattr(module, f"{_GEMMA4_LAYER}_attention_scaling")
    else:
        inv_freq, attention = module.inv_freq, module.attention_scaling
    return inv_freq.clone(), float(attention)


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    head_dim, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len,
                                                                   multi_axis=True)
    if _is_mrope(config):
        return _mrope_apply(x, positions, head_dim, rd, base, layout, config)
    if positions.ndim != 1:  # validation admits [3, seq] only with an mrope_section; never into a 1-D branch
        raise NotImplementedError("multi-axis RoPE positions [3, seq] need scaling['mrope_section']")
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


# --- multi-axis RoPE (M-RoPE) --------------------------------------------------------------------


def _is_mrope(config) -> bool:
    return config is not None and config.get("mrope_section") is not None


def _mrope_model(interleaved: bool, layout: str, partial: bool, hw_alternating: bool = False) -> str:
    """The model shipping this axis map, lane layout and rotary width (module docstring's table)."""
    if hw_alternating:
        if layout != "interleaved" or partial:
            raise NotImplementedError("Ernie-4.5-VL's axis map (mrope_hw_alternating): its module rotates the whole head "
                                      "with interleaved lanes (rotate_half_text) only")
        return "ernie4_5_vl"
    if layout == "interleaved":
        if interleaved:
            raise NotImplementedError(
                "multi-axis RoPE with the interleaved axis map and interleaved lanes: no transformers model ships it "
                "(Qwen3-VL / Qwen3.5 rotate half; GLM-4V's GPT-J lanes are chunked; Ernie 4.5 VL's map is its own)")
        return "glm4v"
    if interleaved:
        return "qwen3_5" if partial else "qwen3_vl"
    return "glm4v_moe" if partial else "qwen2_vl"


def _check_mrope_type(rope_type: str, model: str) -> None:
    if rope_type not in _MROPE_TYPES or (model == "ernie4_5_vl" and rope_type != "default"):
        raise NotImplementedError(
            f"multi-axis RoPE with rope_type {rope_type!r}: Ernie 4.5 VL's rotary module requires 'default'"
            if model == "ernie4_5_vl" else
            f"multi-axis RoPE with rope_type {rope_type!r}: {model}'s rotary module builds rope_types through "
            f"ROPE_INIT_FUNCTIONS, of which this target declares {list(_MROPE_TYPES)} with an mrope_section "
            f"(no model ships M-RoPE with {rope_type!r})" if rope_type in ROPE_TYPES else
            f"multi-axis RoPE with rope_type {rope_type!r}: not declared by this target (ROPE_TYPES)")


def _partial_rotary_factor(rotary_dim: int, head_dim: int) -> float:
    """The smallest float p from rotary_dim / head_dim up whose ``int(head_dim * p)`` (HF's width) is rotary_dim."""
    factor = rotary_dim / head_dim
    while int(head_dim * factor) < rotary_dim:
        factor = math.nextafter(factor, math.inf)
    if int(head_dim * factor) != rotary_dim:
        raise AssertionError(f"no partial_rotary_factor gives int({head_dim} * p) = {rotary_dim}")
    return factor


@lru_cache(maxsize=256)
def _mrope_rotary(model: str, rotary_dim: int, head_dim: int, base: float, frozen):
    """The M-RoPE model's text rotary module for a validated configuration with an ``mrope_section``."""
    config = dict(frozen)
    _, config_class, rotary_class, takes_head_dim = _MROPE_MODELS[model]
    params = _rope_parameters(config, base)
    params["mrope_section"] = list(config["mrope_section"])
    if model in ("qwen3_vl", "qwen3_5"):
        params["mrope_interleaved"] = True  # as their checkpoints ship it (the modules always interleave)
    params.pop("mrope_hw_alternating", None)  # Ernie's map is its module's, the section its [s_h, s_w, s_t]
    if rotary_dim != head_dim:
        params["partial_rotary_factor"] = _partial_rotary_factor(rotary_dim, head_dim)
    kwargs = {"num_hidden_layers": 1, "hidden_size": head_dim, "num_attention_heads": 1, "num_key_value_heads": 1,
              "rope_parameters": params}
    if takes_head_dim:
        kwargs["head_dim"] = head_dim
    if model == "qwen3_5":
        kwargs["layer_types"] = ["full_attention"]  # the layers that rotate (the others are linear attention)
    if "original_max_position_embeddings" in params:
        length = params["original_max_position_embeddings"]
        kwargs["max_position_embeddings"] = max(length, math.ceil(length * params.get("factor", 1.0)))
    module = rotary_class(config_class(**kwargs))
    if module.inv_freq.shape[0] != rotary_dim // 2:
        raise AssertionError(f"{model}'s inv_freq has {module.inv_freq.shape[0]} pairs, expected {rotary_dim // 2}")
    return module


def _mrope_apply(x, positions, head_dim: int, rd: int, base: float, layout: str, config: dict):
    model = _mrope_model(config["mrope_interleaved"], layout, rd != head_dim, config["mrope_hw_alternating"])
    _check_mrope_type(config["rope_type"], model)
    if model == "ernie4_5_vl" and config["mrope_section"][2] == 0:
        raise NotImplementedError("Ernie 4.5 VL's module crashes without t pairs (s_t = 0): inv_freq[-t_dim:] is the "
                                  "whole ladder when t_dim = 0 (a defect, docs/conformance/README.md §3)")
    library = _MROPE_MODELS[model][0]
    module = _mrope_rotary(model, rd, head_dim, base, _freeze(config))
    seq = x.shape[-2]
    rows = positions.to(torch.int64)
    if rows.ndim == 1:  # t = h = w, as the text models expand a 2-D position_ids
        rows = rows[None].expand(3, seq)
    position_ids = rows[:, None, :]  # (3, batch 1, seq)
    x3 = x.reshape(-1, seq, head_dim)
    with torch.no_grad():
        cos, sin = _MROPE_FORWARD[model](module, x, position_ids)  # [1, seq, rotary width]
        if cos.shape[-1] != rd:
            raise AssertionError(f"{model}'s cos has width {cos.shape[-1]}, expected {rd}")
        rotated, _ = library.apply_rotary_pos_emb(x3, x3, cos[0], sin[0], unsqueeze_dim=0)
    return rotated.reshape(x.shape)


# --- mrope_positions ----------------------------------------------------------------------------

#: Modality ids of ``mm_token_type_ids``: text 0, image 1, video 2.
_MODALITY = {"text": 0, "image": 1, "video": 2}


@lru_cache(maxsize=8)
def _vl_model(spatial_merge_size: int, tokens_per_second):
    """A one-layer Qwen2-VL (tokens_per_second None) or Qwen2.5-VL model: only its ``get_rope_index`` is called."""
    from transformers import Qwen2_5_VLConfig, Qwen2VLConfig
    from transformers.models.qwen2_5_vl.modeling_qwen2_5_vl import Qwen2_5_VLModel
    from transformers.models.qwen2_vl.modeling_qwen2_vl import Qwen2VLModel

    text = {"hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 1, "num_key_value_heads": 1,
            "intermediate_size": 8, "vocab_size": 16, "bos_token_id": None, "eos_token_id": None,
            "rope_parameters": {"rope_type": "default", "mrope_section": [1, 1, 2], "rope_theta": 1e4}}
    vision = {"depth": 1, "hidden_size": 8, "embed_dim": 8, "num_heads": 1, "spatial_merge_size": spatial_merge_size}
    if tokens_per_second is None:
        return Qwen2VLModel(Qwen2VLConfig(text_config=text, vision_config=vision)).eval()
    vision.update(intermediate_size=8, out_hidden_size=8, tokens_per_second=tokens_per_second)
    return Qwen2_5_VLModel(Qwen2_5_VLConfig(text_config=text, vision_config=vision)).eval()


def mrope_positions(segments, *, spatial_merge_size=2, tokens_per_second=None):
    segments, merge, tps = validation.mrope_positions_args(segments, spatial_merge_size, tokens_per_second)
    if any(a[0] == b[0] != "text" for a, b in zip(segments, segments[1:])):
        raise NotImplementedError("two adjacent grids of one kind: get_rope_index groups consecutive tokens of a modality "
                                  "into one grid (real prompts separate them with vision start/end tokens)")
    kinds, images, videos, seconds = [], [], [], []
    for kind, size, spg in segments:
        if kind == "text":
            kinds += [0] * size
            continue
        kinds += [_MODALITY[kind]] * (size[0] * (size[1] // merge) * (size[2] // merge))
        (images if kind == "image" else videos).append(list(size))
        if kind == "video":
            seconds.append(spg)
    if tps is not None and tps != int(tps):
        raise NotImplementedError(f"tokens_per_second={tps}: Qwen2.5-VL's vision config takes an integer")
    model = _vl_model(merge, None if tps is None else int(tps))
    grids = {"image_grid_thw": torch.tensor(images) if images else None,
             "video_grid_thw": torch.tensor(videos) if videos else None}
    if tps is not None:
        grids["second_per_grid_ts"] = torch.tensor(seconds) if seconds else None
    with torch.no_grad():
        positions, _ = model.get_rope_index(torch.zeros(1, len(kinds), dtype=torch.int64), torch.tensor([kinds]), **grids)
    return positions[:, 0]


# --- axial_rope_apply ---------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _vision_rotary(head_dim: int, base: float):
    config = Qwen2VLVisionConfig(embed_dim=head_dim, num_heads=1, rope_parameters={"rope_type": "axial", "rope_theta": base})
    return qwen2_vl.Qwen2VLVisionRotaryEmbedding(config)


def axial_rope_apply(x, positions, *, base=10000.0, layout="half"):
    head_dim, base, layout = validation.axial_rope_apply_args(x, positions, base, layout)
    if layout != "half":
        raise NotImplementedError("axial RoPE with interleaved lanes: the vision towers' apply_rotary_pos_emb_vision "
                                  "pairs (i, i + head_dim/2) only")
    seq = x.shape[-2]
    tokens = x.reshape(-1, seq, head_dim).transpose(0, 1)  # [seq, batch·heads, head_dim], the towers' [N, heads, D]
    with torch.no_grad():
        cos, sin = _vision_rotary(head_dim, base)(tokens, positions.to(torch.int64).T)  # position_ids (N, 2): (h, w)
        rotated, _ = qwen2_vl.apply_rotary_pos_emb_vision(tokens, tokens, cos, sin)
    return rotated.transpose(0, 1).reshape(x.shape)


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
