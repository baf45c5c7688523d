"""Bug: YaRN's default attention factor is ignored: with none of attention_factor, mscale and mscale_all_dim
given, the factor is 1 instead of mscale(s, 1) = 0.1·ln s + 1 (only a configured mscale is applied).

Caught by the defaults property and the scaled rope_frequencies attention-factor check (yarn, s > 1, no
attention key — as Qwen's YaRN recipes ship)."""

from tests.zoo import _scaled

PLANTED = "attention factor"
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "yarn")  # its bug's scaler: the other scalers' properties are not run

_ATTENTION_KEYS = ("attention_factor", "mscale", "mscale_all_dim")


def _defaults(scaling, config):
    if config and config["rope_type"] == "yarn" and not any(scaling.get(key) for key in _ATTENTION_KEYS):
        return {**config, "attention_factor": 1.0}  # BUG: the default is mscale(s, 1)
    return config


rope_frequencies, rope_apply = _scaled.make_ops(_scaled.correct, defaults=_defaults)
