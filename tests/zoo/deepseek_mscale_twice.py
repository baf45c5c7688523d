"""Bug: YaRN's attention factor ignores mscale_all_dim (mscale(s, mscale), not the ratio) while the softmax scale gets
DeepSeek's mscale(s, mscale_all_dim)²: the temperature is applied twice (variants.md §9, bug 40; vLLM #48621 put the
first half of it in a generic YaRN path).

Caught by the YaRN temperature property (and the scaler properties' attention factor for rope_type "yarn")."""

import math

from impl import scaling
from spec import validation
from tests.zoo import _scaled
from tests.zoo import _textbook as textbook

PLANTED = None
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "yarn")


def _yarn(freqs, config, seq_len):
    inv_freq, _ = scaling.yarn(freqs, config, seq_len)
    s = config["factor"]
    return inv_freq, 1.0 if s <= 1 else 0.1 * (config["mscale"] or 1.0) * math.log(s) + 1.0  # BUG: not the ratio


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(yarn=_yarn))


def attention_scale(positions, head_dim, *, scaling=None, softmax_mscale=False, temperature=None):
    head_dim, config, softmax_mscale, temperature = validation.attention_scale_args(positions, head_dim, scaling,
                                                                                    softmax_mscale, temperature)
    return textbook.attention_scale(positions, textbook.softmax_scale(head_dim, config, softmax_mscale), config, temperature)
