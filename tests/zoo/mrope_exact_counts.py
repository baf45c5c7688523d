"""Bug: interleaved M-RoPE deals t, h, w in turn until each has its nominal section count (openPangu's balanced
layout, variants.md §2), where Qwen3-VL's map stops h at 3·s_h and w at 3·s_w: the counts differ whenever
3·s_h > n + 1 or 3·s_w > n (n pairs), e.g. [8, 12, 12] on 32 pairs is 8/12/12 instead of 11/11/10 (bugs 10, 13).

Caught by the M-RoPE axis-map property (and the value property on such sections)."""

from spec import validation
from spec.rope_parameters import mrope_axes
from tests.zoo import _textbook as textbook

PLANTED = None


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    _, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len,
                                                            multi_axis=True)
    if config is not None and config["rope_type"] != "default":
        raise NotImplementedError("plain RoPE only")
    if config is None or config["mrope_section"] is None:
        return textbook.rotate_by_pair_positions(x, positions[:, None].repeat(rd // 2, 1), base, layout, rd)
    rows = textbook.mrope_rows(positions)
    if not config["mrope_interleaved"]:
        axes = mrope_axes(config["mrope_section"], False, rd // 2)
    else:  # BUG: nominal counts, dealt round-robin while each row has some left
        left, axes = list(config["mrope_section"]), []
        while len(axes) < rd // 2:
            for row in (0, 1, 2):
                if left[row] and len(axes) < rd // 2:
                    axes.append(row)
                    left[row] -= 1
    return textbook.rotate_by_pair_positions(x, textbook.mrope_pair_positions(rows, axes), base, layout, rd)
