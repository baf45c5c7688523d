"""ALiBi properties (``alibi_slopes``, ``alibi_bias``), each from a derivation in ``proofs/alibi.py``.

Causal biases are compared *modulo a per-row constant* (softmax ignores it, ``alibi.softmax_shift``):
each row is normalised by its entry at the query's own position, which is always visible.
Tolerances: ``spec.error_model.alibi_*`` (slope power k, |distance| and the dtype's unit roundoff).
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from proofs import alibi as proofs
from spec import alibi, error_model
from tests.checks import (
    as_array,
    assert_exact,
    assert_true,
    assert_within,
    call_raw,
    conformance,
    dtype_of,
)

SLOPE_MODEL = "error_model.alibi_slope_error: 2·|m|·(k+2)·u"
BIAS_MODEL = "error_model.alibi_bias_error: 2·|m|·(k+3)·u·(|i₀−j| + max(j + i₀, 2(K−1) − j − i₀))"

heads = st.integers(1, 80)
powers_of_two = st.integers(0, 7).map(lambda e: 2**e)


@st.composite
def bias_shapes(draw, max_len=160):
    k_len = draw(st.integers(1, max_len))
    return draw(st.integers(1, 24)), draw(st.integers(1, k_len)), k_len


def slopes(target, n):
    native = call_raw(target, "alibi_slopes", n)
    return as_array(target, "alibi_slopes", native, shape=(n,)), dtype_of(target, native)


def slope_tolerance(n, dtype):
    _, powers = alibi.slope_powers(n)
    return error_model.alibi_slope_error(alibi.alibi_slopes(n), powers, dtype)


def bias(target, n, q_len, k_len, causal):
    native = call_raw(target, "alibi_bias", n, q_len, k_len, causal=causal)
    return as_array(target, "alibi_bias", native, shape=(n, q_len, k_len)), dtype_of(target, native)


def normalised(b, q_len, k_len):
    """Subtract each row's entry at the query's own key (distance 0): removes a per-row constant."""
    own = alibi.query_positions(q_len, k_len)
    diagonal = b[:, np.arange(q_len), own][:, :, None]
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(b), b, b - diagonal)


def bias_tolerance(n, q_len, k_len, dtype):
    span = error_model.alibi_bias_span(alibi.query_positions(q_len, k_len)[:, None], np.arange(k_len)[None, :], k_len)
    _, powers = alibi.slope_powers(n)
    return error_model.alibi_bias_error(alibi.alibi_slopes(n)[:, None, None], powers[:, None, None], span[None], dtype)


def entry_context(q_len, k_len):
    own = alibi.query_positions(q_len, k_len)
    return {"head": lambda i: i[0], "query position": lambda i: own[i[1]], "key": lambda i: i[2]}


@conformance("alibi_slopes", "oracle", derivation="spec.alibi.alibi_slopes")
@given(n=heads)
def test_alibi_slopes_match_oracle(target, n):
    observed, dtype = slopes(target, n)
    assert_within(observed, alibi.alibi_slopes(n), slope_tolerance(n, dtype), what=f"slopes({n}) vs oracle",
                  how=SLOPE_MODEL, context={"head": lambda i: i[0]})


@conformance("alibi_slopes", "series", derivation=proofs.GEOMETRIC.name)
@given(n=powers_of_two)
def test_alibi_slopes_power_of_two_geometric(target, n):
    """n = 2^k: m_h = 2^(−8h/n); first = ratio = 2^(−8/n); Π m_h = 2^(−4(n+1))."""
    observed, dtype = slopes(target, n)
    tolerance = slope_tolerance(n, dtype)
    h = np.arange(1, n + 1)
    assert_within(observed, proofs.power_of_two_slope()(h, n), tolerance, what="m_h vs 2^(−8h/n)", how=SLOPE_MODEL,
                  context={"head": lambda i: i[0]})
    if n > 1:
        ratios = observed[1:] / observed[:-1]
        relative = (tolerance[1:] / observed[1:] + tolerance[:-1] / observed[:-1]) * observed[0]
        assert_within(ratios, observed[0], relative + tolerance[0], what="m_{h+1}/m_h vs m_1", how="sum of relative " + SLOPE_MODEL)
    log_product = np.log2(observed).sum()
    log_tolerance = (tolerance / observed).sum() / np.log(2)
    assert_within(log_product, np.log2(proofs.slope_product()(n)), log_tolerance, what="log₂ Π m_h vs −4(n+1)",
                  how="Σ relative " + SLOPE_MODEL)


@conformance("alibi_slopes", "series", derivation=proofs.NESTING.name)
@given(n=st.integers(0, 6).map(lambda e: 2**e))
def test_alibi_slopes_nest(target, n):
    """slopes(n) = slopes(2n)[1::2] for n a power of two."""
    small, dtype = slopes(target, n)
    large, _ = slopes(target, 2 * n)
    tolerance = slope_tolerance(n, dtype) + slope_tolerance(2 * n, dtype)[1::2]
    assert_within(small, large[1::2], tolerance, what=f"slopes({n}) vs slopes({2 * n})[1::2]", how="sum of " + SLOPE_MODEL)


@conformance("alibi_slopes", "series", derivation=proofs.INTERLEAVE.name)
@given(n=heads)
def test_alibi_slopes_interleave_rule(target, n):
    """Other n, P = 2^⌊log₂n⌋: slopes(P) then 2^(−4(2j+1)/P), j = 0…n−P−1 (the odd steps of slopes(2P))."""
    p = 1 << (n.bit_length() - 1)
    assume(n != p)
    observed, dtype = slopes(target, n)
    tolerance = slope_tolerance(n, dtype)
    expected = np.concatenate([proofs.power_of_two_slope()(np.arange(1, p + 1), p), proofs.interleaved_slope()(np.arange(n - p), p)])
    assert_within(observed, expected, tolerance, what=f"slopes({n}) vs the interleave rule (P={p})", how=SLOPE_MODEL,
                  context={"head": lambda i: i[0]})


@conformance("alibi_bias", "oracle", derivation=proofs.SOFTMAX_SHIFT.name)
@given(shape=bias_shapes())
def test_alibi_bias_matches_oracle(target, shape):
    """Causal bias = −m(i₀ − j) up to a per-row constant, −inf after the query."""
    n, q_len, k_len = shape
    observed, dtype = bias(target, n, q_len, k_len, True)
    expected = alibi.alibi_bias(n, q_len, k_len, causal=True)
    assert_within(normalised(observed, q_len, k_len), expected, bias_tolerance(n, q_len, k_len, dtype),
                  what="row-normalised bias vs oracle", how=BIAS_MODEL, context=entry_context(q_len, k_len))


@conformance("alibi_bias", "toeplitz", derivation=proofs.BIAS.name)
@given(shape=bias_shapes())
def test_alibi_bias_is_toeplitz_and_linear(target, shape):
    """Normalised entries depend on i₀ − j only, and equal causal_bias(m, i₀, j) with the target's own slopes."""
    n, q_len, k_len = shape
    observed, dtype = bias(target, n, q_len, k_len, True)
    b = normalised(observed, q_len, k_len)
    tolerance = bias_tolerance(n, q_len, k_len, dtype)
    if q_len > 1:
        assert_within(b[:, 1:, 1:], b[:, :-1, :-1], tolerance[:, 1:, 1:] + tolerance[:, :-1, :-1],
                      what="B'[i+1, j+1] vs B'[i, j]", how="2 × " + BIAS_MODEL, context=entry_context(q_len, k_len))
    own_slopes = slopes(target, n)[0] if target.provides("alibi_slopes") else alibi.alibi_slopes(n)
    own = alibi.query_positions(q_len, k_len)[None, :, None]
    linear = proofs.causal_bias()(own_slopes[:, None, None], own, np.arange(k_len)[None, None, :])
    assert_within(b, np.where(np.isinf(b), b, linear), tolerance, what="B' vs −m(i₀−j) with the target's slopes",
                  how=BIAS_MODEL, context=entry_context(q_len, k_len))


@conformance("alibi_bias", "mask", derivation="spec.alibi.alibi_bias")
@given(shape=bias_shapes())
def test_alibi_bias_mask_alignment(target, shape):
    """Query i sits at k_len − q_len + i: exactly the keys after it are −inf, all others finite."""
    n, q_len, k_len = shape
    observed, _ = bias(target, n, q_len, k_len, True)
    masked = np.isneginf(alibi.alibi_bias(n, q_len, k_len, causal=True))
    assert_true(np.isneginf(observed) == masked, what="−inf exactly at keys after the query",
                context={**entry_context(q_len, k_len), "expected masked": masked, "observed": observed})


@conformance("alibi_bias", "softmax", derivation=proofs.SOFTMAX_SHIFT.name)
@given(shape=bias_shapes())
def test_alibi_bias_softmax_invariance(target, shape):
    """softmax over keys of the target's bias equals that of the oracle's."""
    n, q_len, k_len = shape
    observed, dtype = bias(target, n, q_len, k_len, True)
    expected = alibi.alibi_bias(n, q_len, k_len, causal=True)

    def softmax(z):
        z = z - z.max(-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(-1, keepdims=True)

    p = softmax(expected)
    row_tolerance = np.where(np.isinf(expected), 0, bias_tolerance(n, q_len, k_len, dtype)).max(-1, keepdims=True)
    tolerance = 2 * 2 * p * row_tolerance + error_model.ORACLE_ABS
    assert_within(softmax(observed), p, tolerance, what="softmax(bias) vs softmax(oracle)",
                  how="|Δp_j| ≤ 2·p_j·max|Δz| (first order), ×2, Δz from " + BIAS_MODEL, context=entry_context(q_len, k_len))


@conformance("alibi_bias", "symmetric", derivation=proofs.BIAS.name)
@given(shape=bias_shapes())
def test_alibi_bias_symmetric(target, shape):
    """causal=False: exactly −m|i₀ − j| (no per-row constant, no mask)."""
    n, q_len, k_len = shape
    observed, dtype = bias(target, n, q_len, k_len, False)
    own = alibi.query_positions(q_len, k_len)[None, :, None]
    expected = proofs.symmetric_bias()(alibi.alibi_slopes(n)[:, None, None], own, np.arange(k_len)[None, None, :])
    distance = np.abs(own - np.arange(k_len)[None, None, :])
    _, powers = alibi.slope_powers(n)
    tolerance = error_model.alibi_bias_error(alibi.alibi_slopes(n)[:, None, None], powers[:, None, None], distance, dtype)
    assert_within(observed, expected, tolerance, what="symmetric bias vs −m|i−j|", how="error_model.alibi_bias_error at span |i−j|",
                  context=entry_context(q_len, k_len))


@conformance("alibi_bias", "structure", derivation="spec.protocol.alibi_bias")
@given(n=st.integers(1, 8), k_len=st.integers(0, 8))
def test_alibi_bias_empty_and_causal_limits(target, n, k_len):
    """q_len = 0 gives an empty ``[n, 0, k_len]``; q_len = k_len (self-attention) masks the strict upper triangle."""
    empty, _ = bias(target, n, 0, k_len, True)
    assert_exact(empty.shape[1], 0, what="rows of an empty bias")
    if k_len:
        square, _ = bias(target, n, k_len, k_len, True)
        assert_true(np.isneginf(square) == np.triu(np.ones((k_len, k_len), bool), 1)[None],
                    what="q_len = k_len masks exactly the strict upper triangle")
