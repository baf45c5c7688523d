r"""The factor a query's scores are multiplied by before the softmax, exactly (``spec.protocol.attention_scale``).

scale(m) = D^(−1/2) · [mscale(s, k_all)² if softmax_mscale] · [1 + β·ln(1 + ⌊m/L0⌋) if llama_4_scaling_beta]
          · [1 + a·ln(1 + ⌊(m + 1)/F⌋) if temperature]

with mscale(s, k) = 0.1·k·ln s + 1 (1 for s ≤ 1). The floors are integer divisions, the rest mpmath at
160 bits rounded once to float64; only the few distinct floors are evaluated. Sources: DeepSeek-V3's
``yarn_apply_mscale`` (``proofs.attention_scale.deepseek_split``), Ministral 3's ``get_llama_4_attn_scale``,
Llama 4's attention temperature tuning (``proofs.attention_scale.temperature_steps``).
"""

from __future__ import annotations

import mpmath
import numpy as np

from spec import validation
from spec.scaling import mscale


def factors(config, softmax_mscale: bool, temperature) -> list[tuple[str, object]]:
    """The position-dependent temperatures of a validated call as (name, (slope, period, shift)) and the constant
    softmax mscale as ("softmax_mscale", value): what the scale multiplies 1/√D by."""
    out = []
    if softmax_mscale and config is not None and config["rope_type"] == "yarn" and config["mscale_all_dim"]:
        out.append(("softmax_mscale", mscale(mpmath.mpf(config["factor"]), mpmath.mpf(config["mscale_all_dim"])) ** 2))
    if config is not None and config.get("llama_4_scaling_beta") is not None:
        out.append(("llama_4_scaling", (config["llama_4_scaling_beta"], config["original_max_position_embeddings"], 0)))
    if temperature is not None:
        out.append(("temperature", (temperature[0], temperature[1], 1)))
    return out


def attention_scale(positions, head_dim, *, scaling=None, softmax_mscale=False, temperature=None):
    """``[seq]`` float64 factors (see the module docstring)."""
    dim, config, softmax_mscale, temperature = validation.attention_scale_args(positions, head_dim, scaling, softmax_mscale,
                                                                               temperature)
    m = np.asarray(positions, dtype=np.int64)
    with mpmath.workprec(160):
        constant = 1 / mpmath.sqrt(dim)
        steps = []
        for name, value in factors(config, softmax_mscale, temperature):
            if name == "softmax_mscale":
                constant *= value
            else:
                slope, period, shift = value
                steps.append((mpmath.mpf(slope), np.floor_divide(m + shift, period)))
        if not steps:
            return np.full(m.shape, float(constant))
        keys = np.stack([k for _, k in steps], -1)
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        values = []
        for row in unique:
            value = constant
            for (slope, _), k in zip(steps, row):
                value *= 1 + slope * mpmath.log(1 + int(k))
            values.append(float(value))
        return np.asarray(values)[np.asarray(inverse).reshape(-1)]
