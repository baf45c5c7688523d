"""Bug: LongRoPE switches to long_factor when seq_len >= L0 (should be seq_len > L0).

Caught by the scaled rope_frequencies value property for rope_type "longrope" with seq_len = L0."""

import math

from tests.zoo import _scaled

PLANTED = "other key values"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "longrope")  # its bug's scaler: the other scalers' properties are not run


def _longrope(freqs, config, seq_len):
    original, s = config["original_max_position_embeddings"], config["factor"]
    long = seq_len is not None and seq_len >= original  # BUG: >
    ext = freqs.array(config["long_factor"] if long else config["short_factor"])
    factor = config["attention_factor"]
    if factor is None:
        factor = 1.0 if s <= 1 else math.sqrt(1 + math.log(s) / math.log(original))
    return freqs.from_base(config["base"]) / ext, factor


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(longrope=_longrope))
