"""Bug: Llama-3 scaling has no blend in the medium band: θ/s above wavelength L0/low, θ (unchanged) below it.

Caught by the scaled rope_frequencies value property for rope_type "llama3" (pairs with L0/high ≤ λ ≤ L0/low)."""

import math

from tests.zoo import _scaled

PLANTED = "no smoothing"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "llama3")  # its bug's scaler: the other scalers' properties are not run


def _llama3(freqs, config, seq_len):
    theta, s = freqs.from_base(config["base"]), config["factor"]
    wavelength = 2 * math.pi / theta
    low_band = wavelength > config["original_max_position_embeddings"] / config["low_freq_factor"]
    return freqs.xp.where(low_band, theta / s, theta), 1.0  # BUG: no smoothed medium band


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(llama3=_llama3))
