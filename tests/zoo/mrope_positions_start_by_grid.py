"""Bug: after an image or video the next segment starts at s + max(H, W)/m, the grid's larger side, ignoring how far
the frames' time positions reached (variants.md §1 and §9 bug 5; transformers 5.x ``current_pos += max(grid_thw[1],
grid_thw[2]) // spatial_merge_size``): text after a long video overlaps its later frames in t.

Caught by the position builder's oracle and concatenation properties (videos whose frames span more than their side)."""

from tests.zoo import _textbook as textbook

PLANTED = None


def _grid_start(rows, segment, merge):
    start = int(rows[1].min())  # h's first entry is the segment's start s
    return start + max(segment[1][1], segment[1][2]) // merge  # BUG: the reference is rows.max() + 1


mrope_positions = textbook.mrope_positions_with(start_of=_grid_start)
