"""Bug: "interleaved" M-RoPE read as GPT-J's lane pairing (2i, 2i+1) with the chunked axis map, instead of the
interleaved axis map with the lanes the layout says (variants.md §9, bug 9: xLLM PR #2120).

Caught by the M-RoPE text-degeneration property in the half layout (and the value property)."""

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
    interleaved = config["mrope_interleaved"]
    axes = mrope_axes(config["mrope_section"], False, rd // 2)
    lanes = "interleaved" if interleaved else layout  # BUG: the axis map's name taken for the lane pairing
    return textbook.rotate_by_pair_positions(x, textbook.mrope_pair_positions(rows, axes), base, lanes, rd)
