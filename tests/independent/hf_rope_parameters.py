"""An independent, correct target written as a user would: RoPE on Hugging Face's ``rope_parameters``.

It knows only Hugging Face's vocabulary and declares nothing beyond ``ARRAY_API``, ``DTYPES`` and ``ROPE_TYPES``
(the rope_types ``ROPE_INIT_FUNCTIONS`` has, so the gate does not draw HunYuan's ``ntk_alpha`` for it): the
frequencies come from ``transformers.modeling_rope_utils.ROPE_INIT_FUNCTIONS`` on a ``LlamaConfig``
(an unknown rope_type raises ``ValueError``, keys Hugging Face does not know are ignored, as Hugging
Face does), the rotation is written here in plain torch with float32 angles, and arguments are not
validated. The gate must pass it on every property but the validation ones: it is the proof that no
property depends on this suite's own vocabulary extensions (``spec.rope_parameters.EXTENSIONS``).
"""

import torch
from transformers import LlamaConfig
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

ARRAY_API = "torch"
DTYPES = ("float32", "float16", "bfloat16")  # Hugging Face computes θ and the angles in float32
ROPE_TYPES = ("default", *ROPE_INIT_FUNCTIONS)


def rope_frequencies(rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
    params = dict(scaling or {"rope_type": "default"})
    rope_type = params.setdefault("rope_type", params.get("type", "default"))
    if rope_type == "default":
        inv_freq = 1.0 / (base ** (torch.arange(0, rotary_dim, 2, dtype=torch.float32) / rotary_dim))
        return inv_freq, 1.0
    if rope_type not in ROPE_INIT_FUNCTIONS:
        raise ValueError(f"unknown rope_type {rope_type!r}")
    # Hugging Face's dynamic NTK takes its original length from max_position_embeddings.
    length = params.pop("original_max_position_embeddings") if rope_type == "dynamic" else 1 << 20
    config = LlamaConfig(head_dim=rotary_dim, hidden_size=rotary_dim, num_attention_heads=1,
                         max_position_embeddings=length, rope_parameters={**params, "rope_theta": base})
    inv_freq, attention_factor = ROPE_INIT_FUNCTIONS[rope_type](config, "cpu", seq_len=seq_len)
    return inv_freq, float(attention_factor)


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    if (scaling or {}).get("mrope_section") is not None:
        raise NotImplementedError("multi-axis RoPE runs in Qwen2-VL's modules, not in Llama's")
    rotary_dim = rotary_dim or x.shape[-1]
    inv_freq, attention_factor = rope_frequencies(rotary_dim, base=base, scaling=scaling, seq_len=seq_len)
    angles = positions.to(torch.float32)[:, None] * inv_freq.to(torch.float32)[None, :]
    cos = (torch.cos(angles) * attention_factor).to(x.dtype)
    sin = (torch.sin(angles) * attention_factor).to(x.dtype)
    rotated, passed = x[..., :rotary_dim], x[..., rotary_dim:]
    if layout == "half":
        x1, x2 = rotated[..., : rotary_dim // 2], rotated[..., rotary_dim // 2 :]
        rotated = torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)
    else:
        x1, x2 = rotated[..., 0::2], rotated[..., 1::2]
        rotated = torch.stack([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1).flatten(-2)
    return torch.cat([rotated, passed], dim=-1)


def attention_scale(positions, head_dim, *, scaling=None, softmax_mscale=False, temperature=None):
    """The softmax scale as Hugging Face's DeepSeek-V3 sets it, times Ministral 3's and Llama 4's query temperatures
    (written as in their attention code: torch, float32 positions)."""
    from transformers.models.deepseek_v3.modeling_deepseek_v3 import yarn_apply_mscale

    params = dict(scaling or {"rope_type": "default"})
    scale = yarn_apply_mscale(params, head_dim**-0.5) if softmax_mscale else head_dim**-0.5
    out = torch.full(positions.shape, scale, dtype=torch.float32)
    if params.get("llama_4_scaling_beta") is not None:
        beta, original = params["llama_4_scaling_beta"], params["original_max_position_embeddings"]
        out = out * (1 + beta * torch.log(1 + torch.floor(positions / original)))
    if temperature is not None:
        floors = torch.floor((positions.float() + 1.0) / temperature["floor_scale"])
        out = out * (torch.log1p(floors) * temperature["attn_scale"] + 1.0)
    return out
