"""Bug: linear (PI) scaling multiplies θ by the factor instead of dividing (θ' = s·θ, not θ/s).

Caught by the scaled rope_frequencies value property (and rope_apply against the oracle) for rope_type "linear"."""

from tests.zoo import _scaled

PLANTED = "other key values"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "linear")  # its bug's scaler: the other scalers' properties are not run


def _linear(freqs, config, seq_len):
    return freqs.from_base(config["base"]) * config["factor"], 1.0  # BUG: / config["factor"]


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(linear=_linear))
