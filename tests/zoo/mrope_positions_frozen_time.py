"""Bug: every frame of a video at the same time position t = s (variants.md §9 bug 4, transformers #45381: a constant
temporal position), so frames differ only by their content.

Caught by the position builder's oracle (the rows stay self-consistent, so concatenation holds)."""

import numpy as np

from tests.zoo import _textbook as textbook

PLANTED = None

mrope_positions = textbook.mrope_positions_with(frame_offsets=lambda frames, interval: np.zeros(frames, dtype=np.int64))  # BUG
