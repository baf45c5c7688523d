"""Bug: dynamic NTK ignores seq_len and always assumes L = L0·s (a static NTK of base b·(s² − s + 1)^(d/(d−2))).

Caught by the scaled rope_frequencies value property for rope_type "dynamic" (any seq_len other than L0·s)."""

from tests.zoo import _scaled

PLANTED = "other key values"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "dynamic")  # its bug's scaler: the other scalers' properties are not run


def _dynamic(freqs, config, seq_len):
    d, s, original = freqs.dim, config["factor"], config["original_max_position_embeddings"]
    length = original * s  # BUG: max(seq_len or original, original)
    return freqs.from_base(config["base"] * (s * length / original - (s - 1)) ** (d / (d - 2))), 1.0


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(dynamic=_dynamic))
