"""Bug: the LongRoPE attention factor is always 1 (neither attention_factor nor √(1 + ln s/ln L0)).

Caught by the scaled rope_frequencies attention-factor property and rope_apply against the oracle (longrope, s > 1)."""

from impl import scaling
from tests.zoo import _scaled

PLANTED = "attention factor"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "longrope")  # its bug's scaler: the other scalers' properties are not run


def _longrope(freqs, config, seq_len):
    inv_freq, _ = scaling.longrope(freqs, config, seq_len)
    return inv_freq, 1.0  # BUG: the attention factor dropped


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(longrope=_longrope))
