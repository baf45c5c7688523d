"""Bug: multi-axis RoPE takes the h pairs from row w and the w pairs from row h (variants.md §9, bug 1: Ernie's
[h, w, t] order makes this easy): right for text and square grids, wrong on every non-square one.

Caught by the M-RoPE value, relative and axis-map properties."""

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
    axes = mrope_axes(config["mrope_section"], config["mrope_interleaved"], rd // 2)
    swapped = [(0, 2, 1)[a] for a in axes]  # BUG: h ↔ w
    return textbook.rotate_by_pair_positions(x, textbook.mrope_pair_positions(rows, swapped), base, layout, rd)
