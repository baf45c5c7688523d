"""Bug: the softmax scale is 1/√D even for DeepSeek (softmax_mscale): YaRN's temperature is applied only through
cos/sin's mscale/mscale_all_dim ratio, 1 for DeepSeek-V3 (variants.md §9, bug 40, "not at all").

Caught by the attention-scale value property (rules "deepseek", "mistral4") and the YaRN temperature property."""


from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = None


def attention_scale(positions, head_dim, *, scaling=None, softmax_mscale=False, temperature=None):
    head_dim, config, softmax_mscale, temperature = validation.attention_scale_args(positions, head_dim, scaling,
                                                                                    softmax_mscale, temperature)
    return textbook.attention_scale(positions, head_dim**-0.5, config, temperature)  # BUG: softmax_mscale ignored
