"""RoPE properties (``rope_apply``, ``rope_frequencies``), each from a derivation in ``proofs/rope.py``.

x is ``[batch, seq, head_dim]``; one example rotates a whole vector of positions (up to past 2^21).
Tolerances: ``spec.error_model.rope_*`` (unit roundoff × |x| × (1 + |mθ|) × constants).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from proofs import layouts as layout_proofs
from proofs import rope as proofs
from spec import error_model, rope
from spec.layouts import pair_indices, split_pairs
from spec.phases import reduce_phases
from spec.scaling import frequency_model
from tests.checks import (
    as_array,
    assert_exact,
    assert_true,
    assert_within,
    call,
    call_raw,
    conformance,
    dtype_of,
)
from tests.strategies import bases, even_dims, positions, rope_cases, shifts

#: Layouts are pytest parameters, not drawn: a target without one is "not provided" for it alone.
ROPE_LAYOUTS = pytest.mark.parametrize("layout", ["half", "interleaved"])
MODEL = "error_model.rope_error: 2·af·(|x₁|+|x₂|)·(u_ang(|mθ|(κ+2)+2) + 5u_out), κ = 2+2e·ln b"


def model_of(case, rotary_dim=None):
    """The exact frequencies, attention factor and sensitivities of a case (``spec.scaling``)."""
    return frequency_model(rotary_dim or case.rotary_dim, case.base, case.scaling, case.seq_len)


def magnitudes(at, model):
    """|m·θ'_i| per position and pair."""
    return np.abs(np.asarray(at, np.float64))[..., None] * model.hi


def rotate(target, dtype, case, x, at, **overrides):
    """The target's rope_apply of float64 ``x`` (exact in ``dtype``) at positions ``at``."""
    kwargs = {"base": case.base, "layout": case.layout, "rotary_dim": case.rotary_dim, "scaling": case.scaling,
              "seq_len": case.seq_len, **overrides}
    return call(
        target, "rope_apply", target.asarray(x, dtype), target.asarray(np.asarray(at, np.int64)),
        shape=x.shape, dtype=dtype, **kwargs,
    )


def component_tolerance(case, x, at, dtype, layout=None, rotary_dim=None):
    """Per-component tolerance of R(at)x: each pair's bound on both of its coordinates, 0 on pass-through."""
    layout, rd = layout or case.layout, rotary_dim or case.rotary_dim
    x1, x2 = split_pairs(x, layout, rd)
    model = model_of(case, rd)
    pair = error_model.rope_error(np.abs(x1) + np.abs(x2), magnitudes(at, model), model.sensitivity, dtype, model.attention_factor)
    return on_both_lanes(pair, x, layout, rd)


def on_both_lanes(pair, x, layout, rotary_dim):
    """A per-pair bound ``[..., pairs]`` on both coordinates of each pair, 0 on the pass-through lanes (shape of x)."""
    tolerance = np.zeros_like(x)
    first, second = pair_indices(layout, rotary_dim)
    tolerance[..., first] = pair
    tolerance[..., second] = pair
    return tolerance


def at_position(at):
    """Counterexample context of an entry ``[batch, seq, ...]``: its position."""
    return {"position": lambda i: at[i[1]]}


def query_key(m, n, diagonal=False):
    """Counterexample context of a score entry: the query's and the key's positions."""
    return {"m": lambda i: m[i[1]], "n": lambda i: n[i[1] if diagonal else i[2]]}


def scores(fq, fk, layout, rd):
    """⟨f(q_a), f(k_c)⟩ over the rotary dims for every query a and key c: ``[batch, seq_q, seq_k]`` (one matmul)."""
    return np.matmul(pair_coordinates(fq, layout, rd), np.swapaxes(pair_coordinates(fk, layout, rd), -1, -2))


def pair_coordinates(x, layout, rd):
    """The rotary pairs' two coordinates side by side: ``[..., seq, rd]`` (x₁ of every pair, then x₂)."""
    return np.concatenate(split_pairs(x, layout, rd), axis=-1)


def pair_l1(x, layout, rd):
    """|x₁| + |x₂| per pair: ``[..., seq, rd/2]``."""
    x1, x2 = split_pairs(x, layout, rd)
    return np.abs(x1) + np.abs(x2)


def score_tolerance(case, q, k, m, n, dtype):
    """``error_model.rope_score_error`` of every query × key pair (as its matrix form)."""
    rd, model = case.rotary_dim, model_of(case)
    return error_model.rope_score_error_matrix(
        pair_l1(q, case.layout, rd), pair_l1(k, case.layout, rd), magnitudes(m, model), magnitudes(n, model),
        model.sensitivity, dtype, model.attention_factor,
    )


def relative_scores(case, q, k, m, n):
    """af²·qᵀR(n−m)k for every query × key pair, from proofs.rope.relative_score and exact phases.

    Per position, then one matmul: at a unit key, the export gives a rotation, qᵀR₂(−ψ)e_j = (R₂(ψ)q)_j, so
    R₂(ψ_m)q and R₂(ψ_n)k come from it at the exact reduced phases ψ = m·θ mod 2π; and
    Σ_i (R₂(ψ_m,i)q_i)ᵀ(R₂(ψ_n,i)k_i) = Σ_i q_iᵀR₂(ψ_n,i − ψ_m,i)k_i (the derivation rope.relative), with
    ψ_n − ψ_m ≡ (n − m)θ_i: (seq_q + seq_k) rotations instead of a seq_q × seq_k grid of them."""
    rd, model = case.rotary_dim, model_of(case)
    score = proofs.relative_score()

    def rotated(x, at):
        x1, x2 = split_pairs(x, case.layout, rd)
        psi = reduce_phases(np.asarray(at, np.int64), model.hi, model.lo)
        return np.concatenate([score(x1, x2, 1.0, 0.0, -psi), score(x1, x2, 0.0, 1.0, -psi)], axis=-1)

    return model.attention_factor**2 * np.matmul(rotated(q, m), np.swapaxes(rotated(k, n), -1, -2))


@conformance("rope_apply", "oracle", derivation="spec.rope.rope_apply")
@ROPE_LAYOUTS
@given(case=rope_cases())
def test_rope_matches_oracle(target, dtype, layout, case):
    """R(m)x against the exact rotation: catches a consistent wrong direction or offset."""
    case = replace(case, layout=layout)
    x = case.vectors(dtype)
    observed = rotate(target, dtype, case, x, case.positions)
    expected = rope.rope_apply(x, case.positions, base=case.base, layout=case.layout, rotary_dim=case.rotary_dim,
                               scaling=case.scaling, seq_len=case.seq_len)
    assert_within(observed, expected, component_tolerance(case, x, case.positions, dtype), what="R(m)x vs oracle",
                  how=MODEL, context=at_position(case.positions))


@conformance("rope_apply", "relative", derivation=proofs.RELATIVE.name)
@ROPE_LAYOUTS
@given(case=rope_cases(max_len=8), keys=positions(max_len=8))
def test_rope_scores_match_relative_rotation(target, dtype, layout, case, keys):
    """⟨f(q,m), f(k,n)⟩ = qᵀR(n−m)k with R₂ from proofs.rope (relative_score), for all query × key pairs."""
    case = replace(case, layout=layout)
    check_relative(target, dtype, case, case.vectors(dtype, 0), case.vectors(dtype, 1, seq=len(keys)), case.positions, keys)


def check_relative(target, dtype, case, q, k, m, n):
    """One example of the relative property: every query × key pair (``benchmarks/pair_properties.py`` times it)."""
    observed = scores(rotate(target, dtype, case, q, m), rotate(target, dtype, case, k, n), case.layout, case.rotary_dim)
    assert_within(observed, relative_scores(case, q, k, m, n), score_tolerance(case, q, k, m, n, dtype),
                  what="score vs qᵀR(n−m)k", how="error_model.rope_score_error", context=query_key(m, n))


@conformance("rope_apply", "relative", derivation=proofs.RELATIVE.name)
@ROPE_LAYOUTS
@given(case=rope_cases(max_len=8), keys=positions(max_len=8), shift=shifts())
def test_rope_scores_shift_invariant(target, dtype, layout, case, keys, shift):
    """⟨f(q,m), f(k,n)⟩ = ⟨f(q,m+t), f(k,n+t)⟩: purely relational, no oracle involved."""
    case = replace(case, layout=layout)
    check_shift(target, dtype, case, case.vectors(dtype, 0), case.vectors(dtype, 1, seq=len(keys)), case.positions, keys,
                shift)


def check_shift(target, dtype, case, q, k, m, n, shift):
    """One example of shift invariance: every query × key pair (``benchmarks/pair_properties.py`` times it)."""
    rd = case.rotary_dim
    before = scores(rotate(target, dtype, case, q, m), rotate(target, dtype, case, k, n), case.layout, rd)
    after = scores(rotate(target, dtype, case, q, m + shift), rotate(target, dtype, case, k, n + shift), case.layout, rd)
    tolerance = score_tolerance(case, q, k, m, n, dtype) + score_tolerance(case, q, k, m + shift, n + shift, dtype)
    assert_within(after, before, tolerance, what=f"score shifted by t={shift} vs unshifted",
                  how="sum of both scores' error_model.rope_score_error", context=query_key(m, n))


@conformance("rope_apply", "norm", derivation=proofs.ORTHOGONAL.name)
@ROPE_LAYOUTS
@given(case=rope_cases())
def test_rope_preserves_norm(target, dtype, layout, case):
    """‖f(x,m)‖ = ‖x‖ on the rotary dims (R orthogonal); an angle error cannot hide here."""
    case = replace(case, layout=layout)
    x = case.vectors(dtype)
    rd = case.rotary_dim
    x1, x2 = split_pairs(x, case.layout, rd)
    f1, f2 = split_pairs(rotate(target, dtype, case, x, case.positions), case.layout, rd)
    observed = np.sqrt((f1**2 + f2**2).sum(-1))
    expected = np.sqrt((x1**2 + x2**2).sum(-1))
    tolerance = error_model.rope_norm_error(np.abs(x1) + np.abs(x2), dtype)
    assert_within(observed, expected, tolerance, what="‖f(x,m)‖ vs ‖x‖", how="error_model.rope_norm_error",
                  context=at_position(case.positions))


@conformance("rope_apply", "identity", derivation=proofs.IDENTITY.name)
@ROPE_LAYOUTS
@given(case=rope_cases(max_position=0))
def test_rope_position_zero_is_identity(target, dtype, layout, case):
    """f(x, 0) = x (R(0) = I): catches an offset position."""
    case = replace(case, layout=layout)
    x = case.vectors(dtype)
    observed = rotate(target, dtype, case, x, case.positions)
    assert_within(observed, x, component_tolerance(case, x, case.positions, dtype), what="f(x, 0) vs x", how=MODEL,
                  context=at_position(case.positions))


@conformance("rope_apply", "composition", derivation=proofs.COMPOSITION.name)
@ROPE_LAYOUTS
@given(case=rope_cases(max_position=2**20), data=st.data())
def test_rope_composition(target, dtype, layout, case, data):
    """f(f(x,a), b) = f(x, a+b) (R(a)R(b) = R(a+b))."""
    case = replace(case, layout=layout)
    a = case.positions
    b = data.draw(positions(min_len=len(a), max_len=len(a), max_position=2**20), label="b")
    x = case.vectors(dtype)
    y = rotate(target, dtype, case, x, a)
    twice = rotate(target, dtype, case, y, b)
    once = rotate(target, dtype, case, x, a + b)
    tolerance = (2 * component_tolerance(case, x, a, dtype) + component_tolerance(case, y, b, dtype)
                 + component_tolerance(case, x, a + b, dtype))
    assert_within(twice, once, tolerance, what="f(f(x,a),b) vs f(x,a+b)", how="sum of the three rotations' " + MODEL,
                  context={"a": lambda i: a[i[1]], "b": lambda i: b[i[1]]})


@conformance("rope_apply", "layout", derivation=layout_proofs.PERMUTATION.name)
@given(case=rope_cases(partial=False))
def test_rope_layouts_related_by_permutation(target, dtype, case):
    """half(x) = P·interleaved(Pᵀx) with P: 2i+j ↦ i + j·d/2 (proofs.layouts)."""
    x = case.vectors(dtype)
    src = layout_proofs.half_from_interleaved(case.head_dim)
    x_interleaved = np.empty_like(x)
    x_interleaved[..., src] = x
    half = rotate(target, dtype, case, x, case.positions, layout="half")
    interleaved = rotate(target, dtype, case, x_interleaved, case.positions, layout="interleaved")
    tolerance = 2 * component_tolerance(case, x, case.positions, dtype, layout="half")
    assert_within(half, interleaved[..., src], tolerance, what="half-split vs permuted interleaved", how="2 × " + MODEL)


@conformance("rope_apply", "partial", derivation=proofs.PARTIAL.name)
@ROPE_LAYOUTS
@given(case=rope_cases(max_dim=128))
def test_rope_partial_rotary_passes_through(target, dtype, layout, case):
    """Dims past rotary_dim are copied exactly; the first rotary_dim equal rope_apply of that slice alone."""
    case = replace(case, layout=layout)
    assume(case.rotary_dim < case.head_dim)
    x = case.vectors(dtype)
    rd = case.rotary_dim
    observed = rotate(target, dtype, case, x, case.positions)
    assert_exact(observed[..., rd:], x[..., rd:], what="pass-through dims")
    alone = rotate(target, dtype, case, np.ascontiguousarray(x[..., :rd]), case.positions, rotary_dim=None)
    tolerance = 2 * component_tolerance(case, x, case.positions, dtype)[..., :rd]
    assert_within(observed[..., :rd], alone, tolerance, what="rotary part vs rope_apply(x[..., :rotary_dim])", how="2 × " + MODEL)


@conformance("rope_apply", "long-term decay", derivation=proofs.LONG_TERM_DECAY.name)
@ROPE_LAYOUTS
@given(case=rope_cases(max_dim=64), keys=positions(max_len=12))
def test_rope_long_term_decay_bound(target, dtype, layout, case, keys):
    """|⟨f(q,m), f(k,n)⟩| ≤ max|h_{i+1} − h_i|·Σ|S_{i+1}|, h_i = q̃_i·conj(k̃_i) (RoFormer §3.4.3)."""
    case = replace(case, layout=layout)
    seq = min(len(case.positions), len(keys))
    m, n = case.positions[:seq], keys[:seq]
    q, k = case.vectors(dtype, 0, seq=seq), case.vectors(dtype, 1, seq=seq)
    rd = case.rotary_dim
    observed = np.einsum("baa->ba", scores(rotate(target, dtype, case, q, m), rotate(target, dtype, case, k, n), case.layout, rd))
    (q1, q2), (k1, k2) = split_pairs(q, case.layout, rd), split_pairs(k, case.layout, rd)
    h = (q1 + 1j * q2) * np.conj(k1 + 1j * k2)
    model = model_of(case)
    bound = model.attention_factor**2 * proofs.long_term_decay_bound(h, reduce_phases(m - n, model.hi, model.lo))
    tolerance = np.einsum("baa->ba", score_tolerance(case, q, k, m, n, dtype))
    assert_true(np.abs(observed) <= bound + tolerance, what="|score| ≤ Abel bound",
                context={"score": observed, "bound": bound, **query_key(m, n, diagonal=True)})


@conformance("rope_apply", "structure", derivation="spec.protocol.rope_apply")
@ROPE_LAYOUTS
@given(case=rope_cases(max_dim=32, max_len=4))
def test_rope_does_not_modify_input(target, dtype, layout, case):
    """x is never modified in place."""
    case = replace(case, layout=layout)
    x = case.vectors(dtype)
    native = target.asarray(x, dtype)
    call_raw(target, "rope_apply", native, target.asarray(case.positions), base=case.base, layout=case.layout, rotary_dim=case.rotary_dim)
    assert_exact(as_array(target, "rope_apply", native, dtype=dtype), x, what="x after rope_apply")


@conformance("rope_frequencies", "oracle", derivation="spec.rope.rope_frequencies")
@given(rotary_dim=even_dims(), base=bases())
def test_rope_frequencies_match_oracle(target, rotary_dim, base):
    """inv_freq_i = base^(−2i/rotary_dim) and attention_factor = 1 without scaling."""
    inv_freq, factor = call_raw(target, "rope_frequencies", rotary_dim, base=base)
    observed = as_array(target, "rope_frequencies", inv_freq, shape=(rotary_dim // 2,))
    expected, expected_factor = rope.rope_frequencies(rotary_dim, base=base)
    dtype = dtype_of(target, inv_freq)
    tolerance = error_model.frequency_error(expected, frequency_model(rotary_dim, base).sensitivity, dtype)
    assert_within(observed, expected, tolerance, what="inv_freq vs oracle", how="error_model.frequency_error",
                  context={"pair": lambda i: i[0]})
    assert_exact(float(factor), expected_factor, what="attention_factor without scaling")
