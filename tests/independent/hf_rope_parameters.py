"""An independent, correct target written as a user would: RoPE on Hugging Face's ``rope_parameters``.

It knows only Hugging Face's vocabulary and declares nothing beyond ``ARRAY_API`` and ``DTYPES``: the
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
