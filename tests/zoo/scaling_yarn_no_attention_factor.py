"""Bug: the YaRN attention factor is always 1 (neither attention_factor nor mscale is applied).

Caught by the scaled rope_frequencies attention-factor property and rope_apply against the oracle (yarn, s > 1)."""

from impl import scaling
from tests.zoo import _scaled

PLANTED = "attention factor"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "yarn")  # its bug's scaler: the other scalers' properties are not run


def _yarn(freqs, config, seq_len):
    inv_freq, _ = scaling.yarn(freqs, config, seq_len)
    return inv_freq, 1.0  # BUG: the attention factor dropped


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(yarn=_yarn))
