"""Bug: the YaRN ramp is inverted: θ' = θ/s·(1 − γ) + θ·γ, so high-frequency pairs are interpolated and
low-frequency pairs kept. Caught by the scaled rope_frequencies value property for rope_type "yarn"."""

from impl import scaling
from tests.zoo import _scaled

PLANTED = "inverted ramp"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "yarn")  # its bug's scaler: the other scalers' properties are not run


def _yarn(freqs, config, seq_len):
    blended, factor = scaling.yarn(freqs, config, seq_len)  # θ/s·γ + θ·(1 − γ)
    theta = freqs.from_base(config["base"])
    return theta / config["factor"] + theta - blended, factor  # BUG: θ/s·(1 − γ) + θ·γ


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(yarn=_yarn))
