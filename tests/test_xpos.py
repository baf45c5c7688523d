"""xPos properties (``xpos_apply``), each from a derivation in ``proofs/xpos.py``.

x is ``[batch, seq, head_dim]``; positions are signed (libraries centre them) and folded into the range
where the exact result and the scale ζ^(±m/B) are finite in the dtype (``spec.xpos.position_limit``, from ``proofs.xpos.overflow``):
the limit itself is drawn too, so a target whose scale overflows before the result does is caught.
Tolerances: ``spec.error_model.xpos_error`` and ``xpos_score_error``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from proofs import xpos as proofs
from spec import error_model, xpos
from spec.layouts import split_pairs
from spec.phases import frequencies_dd, pair_exponents, reduce_phases
from tests.checks import assert_within, call, conformance
from tests.strategies import (
    BATCHES,
    MAX_POSITION,
    SCALE_EXPONENTS,
    SEEDS,
    bases,
    even_between,
    exactly_in,
)
from tests.test_rope import on_both_lanes

LAYOUTS = pytest.mark.parametrize("layout", ["half", "interleaved"])
#: Every xPos implementation has both roles: drawn per example, not a pytest parameter (half the tests).
roles = st.sampled_from(("query", "key"))
MODEL = "error_model.xpos_error: ζ^(±a)·[rope_error + 2(|x₁|+|x₂|)(u_ang(|a|(3+|ln ζ|)+2) + u_out)], a = m/B"

#: Drawn as ±MAX_POSITION, a position stands for ± the overflow limit of the case.
AT_LIMIT = MAX_POSITION


@cache
def signed_positions(max_len: int = 12):
    elements = st.one_of(st.integers(-64, 64), st.integers(-MAX_POSITION, MAX_POSITION), st.sampled_from((AT_LIMIT, -AT_LIMIT)))
    return hnp.arrays(np.int64, st.integers(1, max_len), elements=elements)


@dataclass(frozen=True)
class XposCase:
    head_dim: int
    base: float
    scale_base: float
    positions: np.ndarray
    batch: int
    seed: int
    scale_exponent: int

    def vectors(self, dtype: str, stream: int = 0, seq: int | None = None) -> np.ndarray:
        rng = np.random.default_rng([self.seed, stream])
        shape = (self.batch, len(self.positions) if seq is None else seq, self.head_dim)
        return exactly_in(rng.standard_normal(shape) * 2.0**self.scale_exponent, dtype)


#: 512 (the paper's), 256, 2048, or 8 … 2¹⁶ on a log grid.
SCALE_BASES = st.one_of(st.sampled_from((512.0, 256.0, 2048.0)), st.integers(0, 200).map(lambda k: 8.0 * 2 ** (k / 25)))


@st.composite
def xpos_cases(draw, max_len: int = 12):
    return XposCase(
        head_dim=draw(even_between(1, 128)),
        base=draw(bases()),
        scale_base=draw(SCALE_BASES),
        positions=draw(signed_positions(max_len)),
        batch=draw(BATCHES),
        seed=draw(SEEDS),
        scale_exponent=draw(SCALE_EXPONENTS),
    )


def fold(positions, limit: int) -> np.ndarray:
    """Positions into [−limit, limit]: ±AT_LIMIT to ±limit, the others modulo limit + 1 (small ones unchanged)."""
    p = np.asarray(positions, np.int64)
    folded = np.sign(p) * (np.abs(p) % (limit + 1))
    return np.where(np.abs(p) == AT_LIMIT, np.sign(p) * limit, folded)


def limit_of(case, dtype, *arrays):
    """The overflow limit (``spec.xpos.position_limit``) for pairs no larger than 2·max|x| over ``arrays``, and at
    least 1: the scale itself must be finite in the dtype too (implementations form it before multiplying)."""
    largest = 2 * max(float(np.abs(a).max(initial=0.0)) for a in arrays)
    return xpos.position_limit(dtype, case.scale_base, max(largest, 1.0))


def apply(target, dtype, case, x, at, role, layout):
    return call(target, "xpos_apply", target.asarray(x, dtype), target.asarray(np.asarray(at, np.int64)), shape=x.shape,
                dtype=dtype, role=role, base=case.base, layout=layout, scale_base=case.scale_base)


def magnitude_units(at, case):
    """``error_model.xpos_scale_units`` per position and pair: the scale's own error in units of u."""
    a = np.abs(np.asarray(at, np.float64))[:, None] / case.scale_base
    return error_model.xpos_scale_units(a, np.abs(xpos.log_zeta(case.head_dim)[0]))


def component_tolerance(case, x, at, role, layout, dtype):
    d = case.head_dim
    x1, x2 = split_pairs(x, layout, d)
    theta = frequencies_dd(d, case.base)[0]
    a = np.abs(np.asarray(at, np.float64))[:, None] / case.scale_base
    pair = error_model.xpos_error(np.abs(x1) + np.abs(x2), np.abs(np.asarray(at, np.float64))[:, None] * theta,
                                  error_model.power_sensitivity(pair_exponents(d), case.base), a,
                                  np.abs(xpos.log_zeta(d)[0]), xpos.scales(at, d, case.scale_base, role), dtype)
    return on_both_lanes(pair, x, layout, d)


@conformance("xpos_apply", "oracle", derivation=proofs.ZETA_DERIVATION.name)
@LAYOUTS
@given(case=xpos_cases(), role=roles)
def test_xpos_matches_oracle(target, dtype, layout, case, role):
    """ζ^(±m/B)·R(m)x against the exact value (``spec.xpos``, ζ_i = (10i + 2d)/(7d)), up to the overflow limit:
    catches the wrong ζ, the scale's sign (queries divided), the scale put on the angle."""
    x = case.vectors(dtype)
    at = fold(case.positions, limit_of(case, dtype, x))
    observed = apply(target, dtype, case, x, at, role, layout)
    expected = xpos.xpos_apply(x, at, role=role, base=case.base, layout=layout, scale_base=case.scale_base)
    assert_within(observed, expected, component_tolerance(case, x, at, role, layout, dtype), what=f"xPos {role} vs oracle",
                  how=MODEL, context={"position": lambda i: at[i[1]]})


def exact_scores(case, q, k, m, n, layout):
    """ζ^((m−n)/B)·qᵀR(n−m)k for every query × key pair, from proofs.xpos.relative_score."""
    d = case.head_dim
    (q1, q2), (k1, k2) = split_pairs(q, layout, d), split_pairs(k, layout, d)
    distance = (n[None, :] - m[:, None]).reshape(-1)
    phase = reduce_phases(distance, *frequencies_dd(d, case.base)).reshape(len(m), len(n), -1)[None]
    head, tail = xpos.exponents(-distance, d, case.scale_base, "query")  # (m − n)·ln ζ/B
    decay = (head + tail).reshape(len(m), len(n), -1)[None]
    pairs = proofs.relative_score()(q1[:, :, None], q2[:, :, None], k1[:, None], k2[:, None], phase, decay)
    return pairs.sum(-1)


def score_tolerance(case, q, k, m, n, layout, dtype):
    d = case.head_dim
    (q1, q2), (k1, k2) = split_pairs(q, layout, d), split_pairs(k, layout, d)
    theta = frequencies_dd(d, case.base)[0]
    kappa = error_model.power_sensitivity(pair_exponents(d), case.base)
    return error_model.xpos_score_error(
        (np.abs(q1) + np.abs(q2))[:, :, None], (np.abs(k1) + np.abs(k2))[:, None],
        (np.abs(m)[:, None] * theta)[None, :, None], (np.abs(n)[:, None] * theta)[None, None],
        magnitude_units(m, case)[None, :, None], magnitude_units(n, case)[None, None], kappa,
        xpos.scales(m, d, case.scale_base, "query")[None, :, None], xpos.scales(n, d, case.scale_base, "key")[None, None], dtype)


@conformance("xpos_apply", "relative", derivation=proofs.RELATIVE.name)
@LAYOUTS
@given(case=xpos_cases(max_len=8), keys=signed_positions(max_len=8), shift=st.integers(-MAX_POSITION, MAX_POSITION))
def test_xpos_scores_depend_on_distance_only(target, dtype, layout, case, keys, shift):
    """⟨f_q(q,m), f_k(k,n)⟩ = ζ^((m−n)/B)·qᵀR(n−m)k for every query × key pair, before and after shifting both
    positions by t: catches a key scale that is not the query's inverse (the score would depend on m + n)."""
    q, k = case.vectors(dtype, 0), case.vectors(dtype, 1, seq=len(keys))
    # |m|, |n|, |t| ≤ limit/4: each scale, and the score's ζ^((m−n)/B) with its error terms, stay finite
    quarter = limit_of(case, dtype, q, k) // 4
    m, n, t = fold(case.positions, quarter), fold(keys, quarter), int(fold([shift], quarter)[0])
    expected = exact_scores(case, q, k, m, n, layout)
    for offset in (0, t):
        fq = apply(target, dtype, case, q, m + offset, "query", layout)
        fk = apply(target, dtype, case, k, n + offset, "key", layout)
        (a1, a2), (b1, b2) = split_pairs(fq, layout, case.head_dim), split_pairs(fk, layout, case.head_dim)
        observed = np.einsum("bah,bch->bac", a1, b1) + np.einsum("bah,bch->bac", a2, b2)
        assert_within(observed, expected, score_tolerance(case, q, k, m + offset, n + offset, layout, dtype),
                      what=f"score at positions shifted by {offset} vs ζ^((m−n)/B)·qᵀR(n−m)k",
                      how="error_model.xpos_score_error", context={"m": lambda i, o=offset: m[i[1]] + o, "n": lambda i, o=offset: n[i[2]] + o})


@conformance("xpos_apply", "range", derivation=proofs.OVERFLOW.name)
@LAYOUTS
@given(case=xpos_cases(max_len=4), role=roles)
def test_xpos_correct_up_to_the_overflow_limit(target, dtype, layout, case, role):
    """At the derived limit |m| = B·ln(M/c)/(−ln ζ_0) of the dtype (and just inside it), both signs, the result is
    finite and right: catches a scale formed in a narrower dtype than the result, which overflows first."""
    x = case.vectors(dtype)
    limit = limit_of(case, dtype, x)
    at = np.resize(np.array([limit, -limit, limit - 1, 1 - limit], np.int64), len(case.positions))
    observed = apply(target, dtype, case, x, at, role, layout)
    expected = xpos.xpos_apply(x, at, role=role, base=case.base, layout=layout, scale_base=case.scale_base)
    assert_within(observed, expected, component_tolerance(case, x, at, role, layout, dtype),
                  what=f"xPos {role} at ±{limit} (the {dtype} limit for B = {case.scale_base}) vs oracle", how=MODEL,
                  context={"position": lambda i: at[i[1]]})
