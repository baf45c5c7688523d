"""Bug: YaRN's beta defaults swapped: an absent beta_fast means 1 and an absent beta_slow 32 (the paper's
values are beta_fast = 32, beta_slow = 1).

Caught by the defaults property (and the scaled rope_frequencies value property) for yarn configs that leave
the betas out."""

from tests.zoo import _scaled

PLANTED = "other key values"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "yarn")  # its bug's scaler: the other scalers' properties are not run

_SWAPPED = {"beta_fast": 1.0, "beta_slow": 32.0}  # BUG: the defaults are beta_fast = 32, beta_slow = 1


def _defaults(scaling, config):
    if config and config["rope_type"] == "yarn":
        return {**config, **{key: value for key, value in _SWAPPED.items() if key not in scaling}}
    return config


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.correct, defaults=_defaults)
