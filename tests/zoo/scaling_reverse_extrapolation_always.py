"""Bug: reverse extrapolation compresses by L0/seq_len even when seq_len ≤ L0 (stretching short sequences).

Caught by the scaled rope_frequencies value property for rope_type "reverse_extrapolation" with seq_len < L0."""

from tests.zoo import _scaled

PLANTED = "applied below L0"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "reverse_extrapolation")  # its bug's scaler: the other scalers' properties are not run


def _reverse_extrapolation(freqs, config, seq_len):
    original = config["original_max_position_embeddings"]
    shrink = original / seq_len if seq_len is not None else 1.0  # BUG: `and seq_len > original` dropped
    return freqs.from_base(config["base"]) * shrink, 1.0


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(reverse_extrapolation=_reverse_extrapolation))
