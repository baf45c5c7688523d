"""Bug: validates the scaling dict and then ignores it: plain RoPE (θ, factor 1) for every rope_type.

Caught by the scaled rope_frequencies value property (any scaler that changes θ or the attention factor)."""

from tests.zoo import _scaled

PLANTED = "scaling ignored"
EXTENSIONS = _scaled.EXTENSIONS


def _frequencies(dim, base, config, seq_len):
    return _scaled.correct(dim, base, None, seq_len)  # BUG: config


rope_frequencies, rope_apply = _scaled.make_ops(_frequencies)
