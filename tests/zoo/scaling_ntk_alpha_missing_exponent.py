"""Bug: HunYuan's fixed-alpha NTK uses the base b·α instead of b·α^(d/(d−2)): the lowest frequency is not θ/α.

Caught by the ntk_alpha property and the scaled rope_frequencies value property for rope_type "ntk_alpha"."""

from tests.zoo import _scaled

PLANTED = None
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "ntk_alpha")


def _ntk_alpha(freqs, config, seq_len):
    return freqs.from_base(config["base"] * config["alpha"]), 1.0  # BUG: alpha ** (d / (d - 2))


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(ntk_alpha=_ntk_alpha))
