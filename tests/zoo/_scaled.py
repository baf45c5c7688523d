"""The correct scaled-RoPE ops that the scaler zoo members share, in plain NumPy (not a zoo member itself).

A scaler member is "the project's scalers, except one line": it writes one frequency function
``(rotary_dim, base, config, seq_len) -> (inv_freq, attention_factor)`` (θ'_i as a float64 NumPy array;
``config`` normalised by ``spec.rope_parameters``, or ``None`` for plain RoPE) holding its bug, usually by
copying one scaler of ``impl/scaling.py`` into :func:`replacing`, and gets both protocol ops from
:func:`make_ops`: arguments validated by ``spec.validation``, angles in float64 for float64 x else float32,
cos/sin multiplied by the attention factor then cast to x's dtype, rotation by the textbook.
"""

import array_api_compat.numpy as xp
import numpy as np

from impl import scaling as impl_scaling
from spec import rope_parameters, validation
from tests.zoo import _textbook as textbook

Frequencies = impl_scaling.Frequencies
#: What a scaler member declares (``EXTENSIONS = _scaled.EXTENSIONS``): it implements the whole vocabulary.
EXTENSIONS = rope_parameters.EXTENSIONS


def correct(dim, base, config, seq_len, scalers=impl_scaling.SCALERS):
    """(θ' float64, attention factor) by the project's scalers (``scalers`` maps rope_type → scaler)."""
    config = {"rope_type": "default", **(config or {}), "base": base}
    inv_freq, factor = scalers[config["rope_type"]](Frequencies(xp, xp.float64, None, dim), config, seq_len)
    return np.asarray(inv_freq, dtype=np.float64), float(factor)


def replacing(**scalers):
    """:func:`correct` with the scalers of some rope_types replaced (impl.scaling's ``(freqs, config, seq_len)``)."""
    table = {**impl_scaling.SCALERS, **scalers}
    return lambda dim, base, config, seq_len: correct(dim, base, config, seq_len, table)


def make_ops(frequencies, defaults=None):
    """``(rope_frequencies, rope_apply)`` of the protocol, built on ``frequencies(dim, base, config, seq_len)``.

    ``defaults(scaling, config) -> config``, if given, sees the dict as passed and as normalised (every default
    filled in), and returns the config to use: where a member plants a wrong default for an absent key.
    """
    fill = defaults or (lambda scaling, config: config)

    def rope_frequencies(rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
        dim, base, config = validation.scaled_rope_frequencies_args(rotary_dim, base, scaling, seq_len)
        inv_freq, factor = frequencies(dim, base, fill(scaling, config), seq_len)
        return np.asarray(inv_freq, dtype=np.float64), float(factor)

    def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
        _, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
        inv_freq, factor = frequencies(rd, base, fill(scaling, config), seq_len)
        angles = textbook.angles(positions, np.asarray(inv_freq, dtype=np.float64).astype(textbook.angle_dtype(x)))
        cos, sin = (np.cos(angles) * factor).astype(x.dtype), (np.sin(angles) * factor).astype(x.dtype)
        return textbook.rotate(x, cos, sin, layout, rd)

    return rope_frequencies, rope_apply
