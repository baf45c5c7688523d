r"""RoPE (Su et al., RoFormer, arXiv 2104.09864): the exact rotation af·R(m)x.

R(m) = blockdiag(R₂(mθ_0), …, R₂(mθ_{d/2−1})), R₂(φ) = [[cos φ, −sin φ], [sin φ, cos φ]],
θ_i = b^(−2i/d) with d = rotary_dim — or the scaled θ'_i and attention factor af of
``spec.scaling`` when ``scaling`` is given; pairs per ``spec.layouts``; dims past rotary_dim pass
through. Multi-axis RoPE (``scaling['mrope_section']``, positions ``[3, seq]``): pair i rotates by the position
of its row, m_{a(i)}·θ_i, a = ``spec.rope_parameters.mrope_axes`` (``[seq]`` positions: all rows equal).
Evaluated in float64 from double-double reduced phases (``spec.phases``): within 2 u(float64)
of the exact real result per unit of |x₁| + |x₂|. ``cos_sin`` gives the exact cos(mθ_i), sin(mθ_i)
correctly rounded to any dtype (the yardstick of ulp-level accuracy, ``spec.ulp``).
"""

from __future__ import annotations

import numpy as np

from spec import rope_parameters, validation
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
    _, rd, b, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len,
                                                                      multi_axis=True)
    model = frequency_model(rd, b, scaling, seq_len)
    return rotate(x, pair_phases(positions, model, config), layout, rd, model.attention_factor)


def rotate(x, phases, layout: str, rotary_dim: int, factor=1.0) -> np.ndarray:
    """factor·R₂(φ_i) on each pair i of x's first ``rotary_dim`` lanes (``phases`` ``[seq, rotary_dim/2]``), in float64."""
    x = np.asarray(x, dtype=np.float64)
    cos, sin = factor * np.cos(phases), factor * np.sin(phases)
    first, second = pair_indices(layout, rotary_dim)
    x1, x2 = x[..., first], x[..., second]
    out = x.copy()
    out[..., first] = x1 * cos - x2 * sin
    out[..., second] = x1 * sin + x2 * cos
    return out


def pair_phases(positions, model, config) -> np.ndarray:
    """(position of pair i's row)·θ'_i mod 2π, ``[seq, pairs]``: one row for plain RoPE, the M-RoPE map otherwise."""
    positions = np.asarray(positions, dtype=np.int64)
    axes = rope_parameters.axis_map(config, len(model.hi))
    if axes is None:
        return reduce_phases(positions, model.hi, model.lo)
    rows = np.broadcast_to(positions, (3, positions.shape[-1]))
    axes = np.array(axes)
    every = reduce_phases(rows, model.hi, model.lo)  # [3, seq, pairs]
    return np.take_along_axis(every, axes[None, None, :].repeat(rows.shape[1], 1), 0)[0]


def cos_sin(positions, rotary_dim, *, base=10000.0, dtype="float32"):
    """(cos(mθ_i), sin(mθ_i)) of plain RoPE correctly rounded to ``dtype``: two ``[len(positions), rotary_dim/2]`` arrays."""
    dim, b = validation.rope_frequencies_args(rotary_dim, base, None, None)
    validation.integer_array("positions", positions, ndim=1)
    return rounded_cos_sin(positions, dim, b, (dtype,))[dtype]
