"""``attention`` of the built-in targets ``torch`` and ``torch-cuda`` (``impl.attention`` on torch, on the inputs' device)."""

import array_api_compat.torch as xp

from impl.attention import make_attention

attention = make_attention(xp)
