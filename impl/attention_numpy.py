"""``attention`` of the built-in target ``numpy`` (``impl.attention`` on NumPy; bfloat16 through ml_dtypes)."""

import array_api_compat.numpy as xp

from impl.attention import make_attention

attention = make_attention(xp)
