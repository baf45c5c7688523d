"""Bug: YaRN ignores mscale/mscale_all_dim: without attention_factor it always uses mscale(s, 1) = 0.1·ln s + 1.

Caught by the scaled rope_frequencies attention-factor property for yarn with mscale and mscale_all_dim set."""

from impl import scaling
from tests.zoo import _scaled

PLANTED = "other key values"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "yarn")  # its bug's scaler: the other scalers' properties are not run


def _yarn(freqs, config, seq_len):
    return scaling.yarn(freqs, {**config, "mscale": None, "mscale_all_dim": None}, seq_len)  # BUG


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(yarn=_yarn))
