"""Bug: YaRN computes its correction range (the ramp) with beta_fast and beta_slow swapped.

Caught by the scaled rope_frequencies value property for rope_type "yarn" (both ramps)."""

from impl import scaling
from tests.zoo import _scaled

PLANTED = "other key values"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "yarn")  # its bug's scaler: the other scalers' properties are not run


def _yarn(freqs, config, seq_len):
    swapped = {**config, "beta_fast": config["beta_slow"], "beta_slow": config["beta_fast"]}  # BUG
    return scaling.yarn(freqs, swapped, seq_len)


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(yarn=_yarn))
