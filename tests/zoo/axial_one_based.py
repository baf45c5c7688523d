"""Bug: 1-based patch coordinates (h + 1, w + 1), Llama 4's vision convention, in a tower whose positions are 0-based
(variants.md §9, bug 27, the reverse direction): every score is unchanged, every rotated vector is not.

Caught by the axial oracle only (a uniform shift is invisible to the relative and swap properties)."""

from tests.zoo import _textbook as textbook

PLANTED = None

axial_rope_apply = textbook.axial_apply(lambda positions, head_dim: textbook.axial_pair_positions(positions + 1, head_dim))  # BUG
