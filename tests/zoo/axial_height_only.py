"""Bug: axial RoPE rotates both blocks by the patch's row — the positions collapsed to one row, as a 1-D RoPE over
the flattened grid would (variants.md §9, bug 28: positions not built per axis). Right on the diagonal only.

Caught by the axial oracle and the relative and swap properties."""

from tests.zoo import _textbook as textbook

PLANTED = None

axial_rope_apply = textbook.axial_apply(lambda positions, head_dim: textbook.axial_pair_positions(positions[[0, 0]], head_dim))  # BUG
