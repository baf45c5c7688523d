"""Bug: YaRN always floors/ceils the correction dims, even when scaling['truncate'] is False.

Caught by the scaled rope_frequencies value property for rope_type "yarn" with truncate=False (index ramp)."""

from impl import scaling
from tests.zoo import _scaled

PLANTED = "other key values"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "yarn")  # its bug's scaler: the other scalers' properties are not run


def _yarn(freqs, config, seq_len):
    return scaling.yarn(freqs, {**config, "truncate": True}, seq_len)  # BUG: config["truncate"] ignored


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(yarn=_yarn))
