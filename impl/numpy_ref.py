"""Built-in target ``numpy``: the reference implementation on NumPy (bfloat16 through ml_dtypes)."""

import array_api_compat.numpy as xp

from impl.reference import ArrayBackend

ARRAY_API = "numpy"
DTYPES = ("float64", "float32", "float16", "bfloat16")

_backend = ArrayBackend(xp, float_dtype=xp.float64)
sinusoidal = _backend.sinusoidal
rope_frequencies = _backend.rope_frequencies
rope_apply = _backend.rope_apply
alibi_slopes = _backend.alibi_slopes
alibi_bias = _backend.alibi_bias
t5_bucket = _backend.t5_bucket
learned_absolute = _backend.learned_absolute
