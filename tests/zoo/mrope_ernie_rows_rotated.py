"""Bug: Ernie-4.5-VL's map takes chunk i of ``split([s_h, s_w, s_t])`` from row i instead of row (i + 1) % 3
(variants.md §9, bug 1: ``m[i % 3]`` where Hugging Face's module has ``m[(i + 1) % 3]``): the alternating pairs
follow t and h, the tail follows w. Text tokens cannot show it.

Caught by the M-RoPE value, relative, bands and axis-map properties (Ernie cases)."""

from spec.rope_parameters import mrope_axes
from tests.zoo import _textbook as textbook

PLANTED = None
EXTENSIONS = ("mrope_hw_alternating",)


def _rotated(config, pairs):
    axes = mrope_axes(config["mrope_section"], config["mrope_interleaved"], pairs, config["mrope_hw_alternating"])
    return [(a + 2) % 3 if config["mrope_hw_alternating"] else a for a in axes]  # BUG: row i, not (i + 1) % 3


rope_apply = textbook.mrope_apply(_rotated)
