"""Bug: multi-axis RoPE ignores ``mrope_interleaved`` and always uses Qwen2-VL's chunked map — Qwen3-VL run chunked
(variants.md §9, bugs 2 and 12: vLLM without the flag; MNN PR #4133). Text tokens cannot show it.

Caught by the M-RoPE value, relative, bands and axis-map properties (interleaved cases)."""

from spec.rope_parameters import mrope_axes
from tests.zoo import _textbook as textbook

PLANTED = None

rope_apply = textbook.mrope_apply(lambda config, pairs: mrope_axes(config["mrope_section"], False, pairs))  # BUG
