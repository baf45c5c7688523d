"""Built-in target ``numpy``: the reference implementation on NumPy (bfloat16 through ml_dtypes)."""

import array_api_compat.numpy as xp

from impl.reference import EXTENSIONS, ArrayBackend  # noqa: F401 — EXTENSIONS is a declaration

ARRAY_API = "numpy"
DTYPES = ("float64", "float32", "float16", "bfloat16")

(sinusoidal, rope_frequencies, rope_apply, mrope_positions, xpos_apply, axial_rope_apply, attention_scale, alibi_slopes, alibi_bias, t5_bucket,
 learned_absolute) = ArrayBackend(xp, float_dtype=xp.float64).ops()
from impl.attention_numpy import attention  # noqa: F401 — the protocol's attention op
