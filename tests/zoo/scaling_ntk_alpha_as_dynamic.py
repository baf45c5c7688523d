"""Bug: HunYuan's fixed-alpha NTK read as dynamic NTK (its checkpoints say "type": "dynamic"): the base grows with the
sequence past an original length (here 4096) and is the plain base below it (variants.md §9, bug 39).

Caught by the ntk_alpha property and the scaled rope_frequencies value property for rope_type "ntk_alpha"."""

from impl import scaling
from tests.zoo import _scaled

PLANTED = None
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "ntk_alpha")


def _ntk_alpha(freqs, config, seq_len):
    as_dynamic = {**config, "factor": config["alpha"], "original_max_position_embeddings": 4096}
    return scaling.dynamic(freqs, as_dynamic, seq_len)  # BUG: length-dependent


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.replacing(ntk_alpha=_ntk_alpha))
