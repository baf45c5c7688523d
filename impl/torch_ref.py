"""Built-in target ``torch``: the reference implementation on torch, CPU."""

import array_api_compat.torch as xp

from impl.reference import EXTENSIONS, ArrayBackend  # noqa: F401 — EXTENSIONS is a declaration

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16", "bfloat16")

(sinusoidal, rope_frequencies, rope_apply, mrope_positions, xpos_apply, axial_rope_apply, attention_scale, alibi_slopes, alibi_bias, t5_bucket,
 learned_absolute) = ArrayBackend(xp, device=DEVICE, float_dtype=xp.float32).ops()
from impl.attention_torch import attention  # noqa: F401 — the protocol's attention op
