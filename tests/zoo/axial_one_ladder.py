"""Bug: axial RoPE with one ladder over the whole head, ω_j = b^(−2j/d) for j < d/2 — the w block gets the low
frequencies 1-D RoPE would give those pairs instead of its own copy of the ladder (variants.md §6: the towers build
``inv_freq`` over head_dim/2; Pixtral's even/odd split and this confusion differ from it).

Caught by the axial oracle, the relative property and the swap property (the blocks' ladders differ)."""

from tests.zoo import _textbook as textbook

PLANTED = None

axial_rope_apply = textbook.axial_apply(ladder_of=lambda head_dim, base, dtype: textbook.inv_freq(head_dim, base, dtype))  # BUG
