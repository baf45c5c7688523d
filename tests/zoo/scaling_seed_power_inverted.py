"""Bug: seed_power raises θ to α instead of 1/α (θ' = θ^α, not θ^(1/α)).

Caught by the scaled rope_frequencies value property for rope_type "seed_power" (α ≠ 1)."""

from tests.zoo import _scaled

PLANTED = "other key values"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "seed_power")  # its bug's scaler: the other scalers' properties are not run


def _seed_power(freqs, config, seq_len):
    return freqs.from_base(config["base"]) ** config["alpha"], 1.0  # BUG: ** (1 / config["alpha"])


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(seed_power=_seed_power))
