"""Bug: Ministral 3's llama_4_scaling uses Llama 4's ⌊(m + 1)/L0⌋ instead of ⌊m/L0⌋: each step one position early.

Caught by the attention-scale value and step properties for rule "ministral"."""


from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = None


def attention_scale(positions, head_dim, *, scaling=None, softmax_mscale=False, temperature=None):
    head_dim, config, softmax_mscale, temperature = validation.attention_scale_args(positions, head_dim, scaling,
                                                                                    softmax_mscale, temperature)
    return textbook.attention_scale(positions, textbook.softmax_scale(head_dim, config, softmax_mscale), config, temperature,
                                    ministral_shift=1)  # BUG: + 1
