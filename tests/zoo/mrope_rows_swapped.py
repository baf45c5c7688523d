"""Bug: multi-axis RoPE takes the h pairs from row w and the w pairs from row h (variants.md §9, bug 1: Ernie's
[h, w, t] order makes this easy): right for text and square grids, wrong on every non-square one.

Caught by the M-RoPE value, relative and axis-map properties."""

from spec.rope_parameters import mrope_axes
from tests.zoo import _textbook as textbook

PLANTED = None


def _swapped(config, pairs):
    return [(0, 2, 1)[a] for a in mrope_axes(config["mrope_section"], config["mrope_interleaved"], pairs)]  # BUG: h ↔ w


rope_apply = textbook.mrope_apply(_swapped)
