"""Bug: the YaRN attention factor is squared (the "apply it to q and to k" factor, while the caller applies it once).

Caught by the scaled rope_frequencies attention-factor property and rope_apply against the oracle (yarn, factor ≠ 1)."""

from impl import scaling
from tests.zoo import _scaled

PLANTED = "attention factor"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "yarn")  # its bug's scaler: the other scalers' properties are not run


def _yarn(freqs, config, seq_len):
    inv_freq, factor = scaling.yarn(freqs, config, seq_len)
    return inv_freq, factor**2  # BUG: factor


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(yarn=_yarn))
