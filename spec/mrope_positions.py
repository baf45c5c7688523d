r"""M-RoPE position rows of a mixed text / image / video sequence (Qwen2-VL, Wang et al. 2024 §2.1; Qwen2.5-VL §2.1.2),
exact in integers: ``spec.protocol.mrope_positions``.

Every segment starts one past the largest position of any row so far (the Qwen reference code's
``st_idx = llm_pos_ids_list[-1].max() + 1``), so no two segments overlap in any row (``proofs.mrope.next_start``).
A video's frame k sits at t = s + ⌊k·interval⌋ with interval = tokens_per_second × seconds_per_grid evaluated
exactly on the given binary numbers (``fractions.Fraction``); implementations multiply in floating point, which
agrees wherever k·interval is not within one rounding of an integer (the tests draw intervals whose products are
exact in float32).
"""

from __future__ import annotations

from fractions import Fraction
from math import floor

import numpy as np

from spec import validation


def frame_offsets(frames: int, interval: Fraction) -> list[int]:
    """⌊k·interval⌋ for k < frames, exactly."""
    return [floor(k * interval) for k in range(frames)]


def segment_rows(kind: str, size, seconds, start: int, merge: int, tokens_per_second) -> np.ndarray:
    """One segment's rows ``[3, n]`` starting at ``start``."""
    if kind == "text":
        return np.broadcast_to(start + np.arange(size, dtype=np.int64), (3, size))
    frames, height, width = size[0], size[1] // merge, size[2] // merge
    interval = Fraction(1) if kind == "image" or tokens_per_second is None else Fraction(tokens_per_second) * Fraction(seconds)
    t = np.repeat(np.array(frame_offsets(frames, interval), dtype=np.int64), height * width)
    h = np.tile(np.repeat(np.arange(height, dtype=np.int64), width), frames)
    w = np.tile(np.arange(width, dtype=np.int64), frames * height)
    return start + np.stack([t, h, w])


def mrope_positions(segments, *, spatial_merge_size=2, tokens_per_second=None):
    """``[3, seq]`` int64 rows (t, h, w)."""
    segments, merge, tps = validation.mrope_positions_args(segments, spatial_merge_size, tokens_per_second)
    rows, start = [], 0
    for kind, size, seconds in segments:
        rows.append(segment_rows(kind, size, seconds, start, merge, tps))
        start = int(rows[-1].max()) + 1
    return np.concatenate(rows, axis=1)
