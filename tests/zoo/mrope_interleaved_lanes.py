"""Bug: "interleaved" M-RoPE read as GPT-J's lane pairing (2i, 2i+1) with the chunked axis map, instead of the
interleaved axis map with the lanes the layout says (variants.md §9, bug 9: xLLM PR #2120).

Caught by the M-RoPE text-degeneration property in the half layout (and the value property)."""

from spec.rope_parameters import mrope_axes
from tests.zoo import _textbook as textbook

PLANTED = None

rope_apply = textbook.mrope_apply(
    lambda config, pairs: mrope_axes(config["mrope_section"], False, pairs),
    lanes_of=lambda config, layout: "interleaved" if config["mrope_interleaved"] else layout,  # BUG: the map's name as lanes
)
