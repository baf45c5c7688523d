r"""Sinusoidal absolute positions (Vaswani et al. 2017, §3.5), exactly.

PE[p, 2i] = sin(p·ω_i), PE[p, 2i+1] = cos(p·ω_i), ω_i = b^(−2i/d) (``"interleaved"``, the paper);
``"concat"`` puts all sines first: [sin(pω) | cos(pω)]. Note: tensor2tensor/fairseq use
ω_i = b^(−i/(d/2−1)) with the concat layout; the protocol fixes the paper's frequencies for both.
``rounded_table`` is the exact table correctly rounded to a dtype (``spec.ulp``).
"""

from __future__ import annotations

import numpy as np

from spec import validation
from spec.layouts import pair_indices
from spec.phases import reduced_phases, rounded_cos_sin


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    """The table ``[len(positions), dim]`` in float64, within 2 u(float64) of exact."""
    dim, b, layout = validation.sinusoidal_args(positions, dim, base, layout)
    phases = reduced_phases(positions, dim, b)
    first, second = pair_indices(layout, dim)
    table = np.empty((len(positions), dim))
    table[:, first] = np.sin(phases)
    table[:, second] = np.cos(phases)
    return table


def rounded_table(positions, dim, *, base=10000.0, layout="interleaved", dtype="float32"):
    """The exact table ``[len(positions), dim]`` correctly rounded to ``dtype`` (a NumPy array of it)."""
    dim, b, layout = validation.sinusoidal_args(positions, dim, base, layout)
    cos, sin = rounded_cos_sin(positions, dim, b, (dtype,))[dtype]
    first, second = pair_indices(layout, dim)
    table = np.empty((len(positions), dim), dtype=cos.dtype)
    table[:, first] = sin
    table[:, second] = cos
    return table
