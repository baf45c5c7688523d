"""Bug: a 1-D RoPE kernel fed M-RoPE positions: every pair rotates by the first row (t), so image tokens get
their frame's position only (the h and w rows ignored).

Caught by the M-RoPE value, relative and axis-map properties."""

from tests.zoo import _textbook as textbook

PLANTED = None

rope_apply = textbook.mrope_apply(lambda config, pairs: [0] * pairs)  # BUG: rows h and w ignored
