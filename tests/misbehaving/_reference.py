"""The correct ops every misbehaving member starts from (a shared helper, not a member).

A member does ``from tests.misbehaving._reference import *`` — the NumPy reference for every op of
the protocol — and redefines the one op it breaks.
"""

from impl.numpy_ref import (  # noqa: F401
    alibi_bias,
    alibi_slopes,
    attention,
    attention_scale,
    axial_rope_apply,
    learned_absolute,
    mrope_positions,
    rope_apply,
    rope_frequencies,
    sinusoidal,
    t5_bucket,
    xpos_apply,
)
from spec.protocol import OPS

__all__ = list(OPS)
