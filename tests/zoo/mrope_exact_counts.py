"""Bug: interleaved M-RoPE deals t, h, w in turn until each has its nominal section count (openPangu's balanced
layout, variants.md §2), where Qwen3-VL's map stops h at 3·s_h and w at 3·s_w: the counts differ whenever
3·s_h > n + 1 or 3·s_w > n (n pairs), e.g. [8, 12, 12] on 32 pairs is 8/12/12 instead of 11/11/10 (bugs 10, 13).

Caught by the M-RoPE axis-map property (and the value property on such sections)."""

from spec.rope_parameters import mrope_axes
from tests.zoo import _textbook as textbook

PLANTED = None


def _round_robin(config, pairs):
    if not config["mrope_interleaved"]:
        return mrope_axes(config["mrope_section"], False, pairs)
    left, axes = list(config["mrope_section"]), []  # BUG: nominal counts, dealt while each row has some left
    while len(axes) < pairs:
        for row in (0, 1, 2):
            if left[row] and len(axes) < pairs:
                axes.append(row)
                left[row] -= 1
    return axes


rope_apply = textbook.mrope_apply(_round_robin)
