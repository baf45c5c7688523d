"""Bug: NTK-aware scaling uses the base b·s instead of b·s^(d/(d−2)), so the lowest frequency is not θ/s.

Caught by the scaled rope_frequencies value property (and rope_apply against the oracle) for rope_type "ntk"."""

from tests.zoo import _scaled

PLANTED = "ntk exponent"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "ntk")  # its bug's scaler: the other scalers' properties are not run


def _ntk(freqs, config, seq_len):
    return freqs.from_base(config["base"] * config["factor"]), 1.0  # BUG: factor ** (d / (d - 2))


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(ntk=_ntk))
