"""Bug: a YaRN config without ``truncate`` is not truncated (the key's default taken as False, not True).

Caught by the defaults property (and the scaled rope_frequencies value property) for yarn configs that leave
``truncate`` out, as Qwen's and DeepSeek's do."""

from tests.zoo import _scaled

PLANTED = "other key values"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "yarn")  # its bug's scaler: the other scalers' properties are not run


def _defaults(scaling, config):
    if config and config["rope_type"] == "yarn" and "truncate" not in scaling:
        return {**config, "truncate": False}  # BUG: the default is True
    return config


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.correct, defaults=_defaults)
