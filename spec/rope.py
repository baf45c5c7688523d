r"""RoPE (Su et al., RoFormer, arXiv 2104.09864): the exact rotation af·R(m)x.

R(m) = blockdiag(R₂(mθ_0), …, R₂(mθ_{d/2−1})), R₂(φ) = [[cos φ, −sin φ], [sin φ, cos φ]],
θ_i = b^(−2i/d) with d = rotary_dim — or the scaled θ'_i and attention factor af of
``spec.scaling`` when ``scaling`` is given; pairs per ``spec.layouts``; dims past rotary_dim pass
through. Evaluated in float64 from double-double reduced phases (``spec.phases``): within 2 u(float64)
of the exact real result per unit of |x₁| + |x₂|. ``cos_sin`` gives the exact cos(mθ_i), sin(mθ_i)
correctly rounded to any dtype (the yardstick of ulp-level accuracy, ``spec.ulp``).
"""

from __future__ import annotations

import numpy as np

from spec import validation
from spec.layouts import pair_indices
from spec.phases import reduce_phases, rounded_cos_sin
from spec.scaling import frequency_model


def rope_frequencies(rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
    """(θ' correctly rounded to float64, attention_factor)."""
    dim, b, _ = validation.scaled_rope_frequencies_args(rotary_dim, base, scaling, seq_len)
    model = frequency_model(dim, b, scaling, seq_len)
    return model.theta, model.attention_factor


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    """af·R(m)x in float64 for x ``[..., seq, head_dim]`` (any real dtype, read exactly)."""
    _, rd, b, _ = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    model = frequency_model(rd, b, scaling, seq_len)
    x = np.asarray(x, dtype=np.float64)
    phases = reduce_phases(positions, model.hi, model.lo)  # [seq, rd/2]
    cos, sin = model.attention_factor * np.cos(phases), model.attention_factor * np.sin(phases)
    first, second = pair_indices(layout, rd)
    x1, x2 = x[..., first], x[..., second]
    out = x.copy()
    out[..., first] = x1 * cos - x2 * sin
    out[..., second] = x1 * sin + x2 * cos
    return out


def cos_sin(positions, rotary_dim, *, base=10000.0, dtype="float32"):
    """(cos(mθ_i), sin(mθ_i)) of plain RoPE correctly rounded to ``dtype``: two ``[len(positions), rotary_dim/2]`` arrays."""
    dim, b = validation.rope_frequencies_args(rotary_dim, base, None, None)
    validation.integer_array("positions", positions, ndim=1)
    return rounded_cos_sin(positions, dim, b, (dtype,))[dtype]
