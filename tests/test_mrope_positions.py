"""M-RoPE position builder properties (``mrope_positions``: Qwen2-VL's and Qwen2.5-VL's ``get_rope_index``), from
``proofs/mrope.py``.

Sequences are drawn as prompts look: text runs, images (one frame) and videos (2–8 frames) on merged grids, in any
order, with Qwen2-VL's frame-index time (``tokens_per_second`` None) or Qwen2.5-VL's (2, the released checkpoints';
4, the class default; 25, the docstring's example) and seconds per grid 2/fps for fps 1, 2, 4, 8, 4/3, 8/3
(0.25 … 2, dyadic: every product k·tps·spg is exact in float32, so a float implementation has no rounding to
disagree by; the fractional intervals 0.5, 1.5, 6.25, 18.75 are among them). Positions are
integers: the checks are exact.
"""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from proofs import mrope as proofs
from spec import mrope_positions as oracle
from tests.checks import assert_exact, call, conformance

MERGE = st.sampled_from((2, 2, 1))
TOKENS_PER_SECOND = st.sampled_from((None, 2, 2, 4, 25))
#: temporal_patch_size / fps = 2/fps for fps 1, 2, 4, 8, 4/3, 8/3: dyadic, so k·tps·spg is exact in float32.
SECONDS_PER_GRID = st.sampled_from((2.0, 1.0, 0.5, 0.25, 1.5, 0.75))


@st.composite
def segments(draw, merge: int, max_segments: int = 5):
    out = []
    for _ in range(draw(st.integers(1, max_segments))):
        kind = draw(st.sampled_from(("text", "image", "video")))
        if kind == "text":
            out.append(("text", draw(st.integers(1, 6))))
            continue
        grid = (1 if kind == "image" else draw(st.integers(2, 8)), merge * draw(st.integers(1, 3)), merge * draw(st.integers(1, 3)))
        out.append(("image", grid) if kind == "image" else ("video", grid, draw(SECONDS_PER_GRID)))
    return out


@st.composite
def prompts(draw, max_segments: int = 5):
    """(segments, spatial_merge_size, tokens_per_second)."""
    merge = draw(MERGE)
    return draw(segments(merge, max_segments)), merge, draw(TOKENS_PER_SECOND)


#: variants.md §1's worked example: text after a 3-frame video whose time (interval 2) outruns its 2 × 2 merged grid.
WORKED_EXAMPLE = ([("text", 2), ("video", (3, 4, 4), 1.0), ("text", 2)], 2, 2)
#: A fractional interval, 2 × 0.25: frames at ⌊0⌋, ⌊0.5⌋, ⌊1⌋, ⌊1.5⌋.
HALF_STEP = ([("video", (4, 2, 2), 0.25), ("text", 1)], 2, 2)


def tokens(segments_, merge) -> int:
    """The sequence length: a text run's length, a grid's T·(H/m)·(W/m) merged tokens."""
    return sum(s[1] if s[0] == "text" else s[1][0] * (s[1][1] // merge) * (s[1][2] // merge) for s in segments_)


def build(target, segments_, merge, tps) -> np.ndarray:
    return call(target, "mrope_positions", segments_, shape=(3, tokens(segments_, merge)), dtype="integer",
                spatial_merge_size=merge, tokens_per_second=tps)


@conformance("mrope_positions", "position builder oracle", derivation=proofs.NEXT_START.name)
@given(prompt=prompts())
@example(prompt=WORKED_EXAMPLE)
@example(prompt=HALF_STEP)
def test_mrope_positions_match_oracle(target, prompt):
    """Text, image and video rows as ``spec.mrope_positions`` builds them: catches a segment starting by the grid's size
    instead of after the largest position, an interval truncated before the multiply, a frozen time row, positions in
    un-merged patches."""
    segments_, merge, tps = prompt
    observed = build(target, segments_, merge, tps)
    expected = oracle.mrope_positions(segments_, spatial_merge_size=merge, tokens_per_second=tps)
    assert_exact(observed, expected, what="M-RoPE positions (rows t, h, w) vs oracle",
                 context={"segments": lambda i: segments_, "token": lambda i: i[-1]})


@conformance("mrope_positions", "position builder concatenation", derivation=proofs.NEXT_START.name)
@given(data=st.data(), merge=MERGE, tps=TOKENS_PER_SECOND)
@example(data=None, merge=2, tps=2).via("variants.md §1's worked example, split after the video")
def test_mrope_positions_concatenate(target, data, merge, tps):
    """positions(A + B) = [positions(A), positions(B) + max(positions(A)) + 1] (reference-free): the next segment
    starts one past the largest position of every row, so no segment overlaps another."""
    if data is None:
        first, second = WORKED_EXAMPLE[0][:2], WORKED_EXAMPLE[0][2:]
    else:
        first, second = (data.draw(segments(merge, 3), label=label) for label in ("A", "B"))
    head, tail = build(target, first, merge, tps), build(target, second, merge, tps)
    whole = build(target, first + second, merge, tps)
    expected = np.concatenate([head, tail + proofs.next_start()(head)], axis=1)
    assert_exact(whole, expected, what="positions(A + B) vs [positions(A), positions(B) + max(positions(A)) + 1]",
                 context={"A": lambda i: first, "B": lambda i: second, "token": lambda i: i[-1]})
