"""Bug: Qwen2.5-VL's video interval tokens_per_second × seconds_per_grid truncated to an integer before it multiplies
the frame index (variants.md §9 bug 4, transformers PR #48669): 2 × 0.25 = 0.5 becomes 0, every frame at t = s.

Caught by the position builder's oracle (the structure stays self-consistent, so concatenation holds)."""

import numpy as np

from tests.zoo import _textbook as textbook

PLANTED = None

mrope_positions = textbook.mrope_positions_with(
    frame_offsets=lambda frames, interval: np.arange(frames, dtype=np.int64) * int(interval))  # BUG: int() first
