"""Bug: a 1-D RoPE kernel fed M-RoPE positions: every pair rotates by the first row (t), so image tokens get
their frame's position only (the h and w rows ignored).

Caught by the M-RoPE value, relative and axis-map properties."""

from spec import validation
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
    axes = [0] * (rd // 2)  # BUG: rows h and w ignored
    return textbook.rotate_by_pair_positions(x, textbook.mrope_pair_positions(rows, axes), base, layout, rd)
