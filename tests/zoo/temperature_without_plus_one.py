"""Bug: Llama 4's attention temperature uses ⌊m/F⌋ — Ministral 3's formula — instead of ⌊(m + 1)/F⌋ (variants.md §9,
bug 22): each step comes one position late.

Caught by the attention-scale value and step properties for rule "llama4"."""


from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = None


def attention_scale(positions, head_dim, *, scaling=None, softmax_mscale=False, temperature=None):
    head_dim, config, softmax_mscale, temperature = validation.attention_scale_args(positions, head_dim, scaling,
                                                                                    softmax_mscale, temperature)
    return textbook.attention_scale(positions, textbook.softmax_scale(head_dim, config, softmax_mscale), config, temperature,
                                    llama4_shift=0)  # BUG: no + 1
