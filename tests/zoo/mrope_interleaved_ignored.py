"""Bug: multi-axis RoPE ignores ``mrope_interleaved`` and always uses Qwen2-VL's chunked map — Qwen3-VL run chunked
(variants.md §9, bugs 2 and 12: vLLM without the flag; MNN PR #4133). Text tokens cannot show it.

Caught by the M-RoPE value, relative, bands and axis-map properties (interleaved cases)."""

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
    axes = mrope_axes(config["mrope_section"], False, rd // 2)  # BUG: mrope_interleaved ignored
    return textbook.rotate_by_pair_positions(x, textbook.mrope_pair_positions(rows, axes), base, layout, rd)
