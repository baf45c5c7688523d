"""Built-in target ``torch-cuda``: the reference implementation on torch, first CUDA device.

Importing it without CUDA raises ``RuntimeError``; the gate reports the target "unavailable".
"""

import array_api_compat.torch as xp
import torch

from impl.reference import EXTENSIONS, ArrayBackend  # noqa: F401 — EXTENSIONS is a declaration

if not torch.cuda.is_available():
    raise RuntimeError("no CUDA device (torch.cuda.is_available() is False)")

ARRAY_API = "torch"
DEVICE = "cuda"
DTYPES = ("float64", "float32", "float16", "bfloat16")

(sinusoidal, rope_frequencies, rope_apply, mrope_positions, xpos_apply, axial_rope_apply, attention_scale, alibi_slopes, alibi_bias, t5_bucket,
 learned_absolute) = ArrayBackend(xp, device=DEVICE, float_dtype=xp.float32).ops()
from impl.attention_torch import attention  # noqa: F401 — the protocol's attention op (on the inputs' device)
