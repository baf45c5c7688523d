"""Bug: an Ernie-4.5-VL configuration run through Qwen2-VL's chunked map — ``mrope_section`` [22, 22, 20] read as
[s_t, s_h, s_w] and the h/w alternation ignored (variants.md §3, §9 bugs 1–2: the same keys mean a different map
in another model's module).

Caught by the M-RoPE value, bands and axis-map properties (Ernie cases)."""

from spec.rope_parameters import mrope_axes
from tests.zoo import _textbook as textbook

PLANTED = None
EXTENSIONS = ("mrope_hw_alternating",)

rope_apply = textbook.mrope_apply(lambda config, pairs: mrope_axes(config["mrope_section"], config["mrope_interleaved"],
                                                                    pairs))  # BUG: mrope_hw_alternating dropped
