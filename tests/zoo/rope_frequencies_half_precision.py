"""Bug: inv_freq is computed in float16 (then returned as float32), losing ~3 significant digits.

Caught by the rope_frequencies value property (θ_i within the float32 error model of b^(−2i/d))."""

import numpy as np

from spec import validation

PLANTED = "float16 frequencies"


def rope_frequencies(rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
    dim, base = validation.rope_frequencies_args(rotary_dim, base, scaling, seq_len)
    exponent = np.arange(0, dim, 2, dtype=np.float16) / np.float16(dim)
    inv_freq = np.float16(1.0) / np.float16(base) ** exponent
    return inv_freq.astype(np.float32), 1.0
