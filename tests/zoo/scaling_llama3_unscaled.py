"""Bug: Llama-3 scaling computes θ' and then returns the unscaled θ.

Caught by the scaled rope_frequencies value property for rope_type "llama3" (s ≠ 1, some wavelength ≥ L0/high)."""

from impl import scaling
from tests.zoo import _scaled

PLANTED = "scaling ignored"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "llama3")  # its bug's scaler: the other scalers' properties are not run


def _llama3(freqs, config, seq_len):
    _scaled, factor = scaling.llama3(freqs, config, seq_len)
    return freqs.from_base(config["base"]), factor  # BUG: `scaled` dropped


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(llama3=_llama3))
