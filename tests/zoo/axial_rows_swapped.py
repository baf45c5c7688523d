"""Bug: axial RoPE reads the position rows as (w, h) — ``meshgrid`` indexing 'xy' for 'ij', or (x, y) for (row, col)
(variants.md §9, bug 26: timm PR #2541, RT-DETR HF PR #41380): right on the diagonal, wrong on every other patch.

Caught by the axial oracle and the relative property (which pairs each offset's Δh with the first block); the
swap property holds, the scheme being symmetric up to the swap."""

from tests.zoo import _textbook as textbook

PLANTED = None

axial_rope_apply = textbook.axial_apply(lambda positions, head_dim: textbook.axial_pair_positions(positions[::-1], head_dim))  # BUG
