"""Bug: dynamic NTK uses L = seq_len instead of max(seq_len, L0), so it rescales (θ' ≠ θ) below the original
context too (NaN once s·seq_len/L0 < s − 1). Caught by the scaled rope_frequencies value property for
rope_type "dynamic" with seq_len < original_max_position_embeddings."""

import numpy as np

from tests.zoo import _scaled

PLANTED = "applied below L0"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "dynamic")  # its bug's scaler: the other scalers' properties are not run


def _dynamic(freqs, config, seq_len):
    d, s, original = freqs.dim, config["factor"], config["original_max_position_embeddings"]
    length = seq_len or original  # BUG: max(seq_len or original, original)
    with np.errstate(invalid="ignore", divide="ignore"):
        return freqs.from_base(config["base"] * np.float64(s * length / original - (s - 1)) ** (d / (d - 2))), 1.0


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(dynamic=_dynamic))
