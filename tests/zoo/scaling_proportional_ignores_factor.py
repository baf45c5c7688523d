"""Bug: proportional RoPE ignores ``factor`` (Hugging Face 5.24's validation even warns it is unrecognised, while its
init function divides every frequency by it): θ'_j = θ_j for j < R instead of θ_j/s.

Caught by the scaled rope_frequencies value property for rope_type "proportional" with a factor ≠ 1."""

from impl import scaling
from tests.zoo import _scaled

PLANTED = "other key values"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "proportional")


def _proportional(freqs, config, seq_len):
    return scaling.proportional(freqs, {**config, "factor": 1.0}, seq_len)  # BUG: config["factor"] ignored


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(proportional=_proportional))
