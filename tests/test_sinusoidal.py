"""Sinusoidal properties (``sinusoidal``), each from a derivation in ``proofs/sinusoidal.py``.

The table comes back in the target's own dtype (float64 for NumPy, float32 for torch by default);
each entry's tolerance is ``spec.error_model.sinusoidal_error`` of that dtype at |pω_i|.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from proofs import layouts as layout_proofs
from proofs import sinusoidal as proofs
from spec import error_model, sinusoidal
from spec.layouts import pair_indices, split_pairs
from spec.phases import pair_exponents, phase_magnitudes, reduced_phases
from tests.checks import as_array, assert_within, call_raw, conformance, dtype_of
from tests.strategies import bases, even_dims, positions, shifts

#: Layouts are pytest parameters, not drawn: a target without one is "not provided" for it alone.
SINUSOIDAL_LAYOUTS = pytest.mark.parametrize("layout", ["interleaved", "concat"])
MODEL = "error_model.sinusoidal_error: 2·(u_ang(|pω|(κ+2)+2) + u_out), κ = 2+2e·ln b"


@st.composite
def tables(draw, max_len=16, max_position=2**21 + 3):
    return {
        "positions": draw(positions(max_len=max_len, max_position=max_position)),
        "dim": draw(even_dims()),
        "base": draw(bases()),
    }


def table(target, at, dim, base, layout):
    """The target's table at positions ``at`` as float64, and the dtype it came back in."""
    native = call_raw(target, "sinusoidal", target.asarray(np.asarray(at, np.int64)), dim, base=base, layout=layout)
    return as_array(target, "sinusoidal", native, shape=(len(at), dim)), dtype_of(target, native)


def pair_tolerance(at, dim, base, dtype):
    """``[len(at), dim/2]`` tolerance of each sin or cos entry."""
    kappa = error_model.power_sensitivity(pair_exponents(dim), base)
    return error_model.sinusoidal_error(phase_magnitudes(at, dim, base), kappa, dtype)


@conformance("sinusoidal", "oracle", derivation="spec.sinusoidal.sinusoidal")
@SINUSOIDAL_LAYOUTS
@given(case=tables())
def test_sinusoidal_matches_oracle(target, layout, case):
    observed, dtype = table(target, case["positions"], case["dim"], case["base"], layout)
    expected = sinusoidal.sinusoidal(case["positions"], case["dim"], base=case["base"], layout=layout)
    pair = pair_tolerance(case["positions"], case["dim"], case["base"], dtype)
    tolerance = np.empty_like(expected)
    first, second = pair_indices(layout, case["dim"])
    tolerance[:, first] = tolerance[:, second] = pair
    assert_within(observed, expected, tolerance, what="PE vs oracle", how=MODEL,
                  context={"position": lambda i: case["positions"][i[0]]})


@conformance("sinusoidal", "shift", derivation=proofs.SHIFT.name)
@SINUSOIDAL_LAYOUTS
@given(case=tables(max_position=2**20), shift=shifts(-64))
def test_sinusoidal_shift_is_linear(target, layout, case, shift):
    """PE(p+k) = M(kω)·PE(p) per frequency, M from proofs.sinusoidal (Vaswani §3.5)."""
    p, dim, base = case["positions"], case["dim"], case["base"]
    shifted = np.abs(p + shift)  # keep positions non-negative; k = |p+shift| − p per row
    k = shifted - p
    now, dtype = table(target, p, dim, base, layout)
    later, _ = table(target, shifted, dim, base, layout)
    s, c = split_pairs(now, layout, dim)
    m = proofs.shift_matrix()(reduced_phases(k, dim, base))  # [2, 2, rows, pairs]
    predicted_sin = m[0, 0] * s + m[0, 1] * c
    predicted_cos = m[1, 0] * s + m[1, 1] * c
    later_sin, later_cos = split_pairs(later, layout, dim)
    tolerance = 2 * pair_tolerance(p, dim, base, dtype) + pair_tolerance(shifted, dim, base, dtype)
    context = {"p": lambda i: p[i[0]], "k": lambda i: k[i[0]]}
    assert_within(later_sin, predicted_sin, tolerance, what="sin((p+k)ω) vs M(kω)·PE(p)", how="3 × " + MODEL, context=context)
    assert_within(later_cos, predicted_cos, tolerance, what="cos((p+k)ω) vs M(kω)·PE(p)", how="3 × " + MODEL, context=context)


@conformance("sinusoidal", "relative", derivation=proofs.DOT.name)
@SINUSOIDAL_LAYOUTS
@given(case=tables(max_len=12))
def test_sinusoidal_dot_depends_on_difference(target, layout, case):
    """PE(p)·PE(q) = Σ_i cos((p−q)ω_i) for every pair of rows: relative only and even in p − q."""
    p, dim, base = case["positions"], case["dim"], case["base"]
    observed_table, dtype = table(target, p, dim, base, layout)
    observed = observed_table @ observed_table.T
    expected = proofs.pair_dot()(reduced_phases(p[:, None] - p[None, :], dim, base)).sum(-1)
    entry = pair_tolerance(p, dim, base, dtype)
    tolerance = 2 * (entry[:, None, :] + entry[None, :, :]).sum(-1)
    assert_within(observed, expected, tolerance, what="PE(p)·PE(q) vs Σ cos((p−q)ω)", how="Σ_pairs 2(ε_p + ε_q), ε = " + MODEL,
                  context={"p": lambda i: p[i[0]], "q": lambda i: p[i[1]]})


@conformance("sinusoidal", "norm", derivation=proofs.NORM.name)
@SINUSOIDAL_LAYOUTS
@given(case=tables())
def test_sinusoidal_norm(target, layout, case):
    """‖PE(p)‖² = dim/2 (sin² + cos² = 1 per pair)."""
    p, dim, base = case["positions"], case["dim"], case["base"]
    observed_table, dtype = table(target, p, dim, base, layout)
    observed = (observed_table**2).sum(-1)
    tolerance = 2 * (2 * error_model.unit_roundoff(error_model.angle_dtype(dtype)) + error_model.unit_roundoff(dtype)) * dim
    assert_within(observed, dim / 2 * proofs.pair_norm_sq(), tolerance, what="‖PE(p)‖² vs dim/2",
                  how="Σ_pairs 2·2(2u_ang + u_out): angle errors cannot change sin²+cos²", context={"p": lambda i: p[i[0]]})


@conformance("sinusoidal", "layout", derivation=layout_proofs.PERMUTATION.name)
@given(case=tables())
def test_sinusoidal_layouts_related_by_permutation(target, case):
    """concat = P·interleaved: concat slot i + j·d/2 holds interleaved entry 2i + j."""
    p, dim, base = case["positions"], case["dim"], case["base"]
    interleaved, dtype = table(target, p, dim, base, "interleaved")
    concat, _ = table(target, p, dim, base, "concat")
    pair = pair_tolerance(p, dim, base, dtype)
    tolerance = 2 * np.concatenate([pair, pair], axis=-1)
    assert_within(concat, interleaved[:, layout_proofs.half_from_interleaved(dim)], tolerance,
                  what="concat vs permuted interleaved", how="2 × " + MODEL, context={"p": lambda i: p[i[0]]})
