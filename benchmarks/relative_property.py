r"""Position pairs per second checked by RoPE's relative-only property, d = 128 (issue 8's goal: ≥ 10⁶/s).

    python -m benchmarks.relative_property [--quick]

One *check* is the body of ``tests/test_rope.py::test_rope_scores_match_relative_rotation`` on one
example: rotate q (at positions m) and k (at n) with the target, the scores ⟨f(q,m), f(k,n)⟩ for every
query × key pair, the expected af²·qᵀR(n−m)k from ``proofs.rope.relative_score`` and exact phases, the
tolerance ``spec.error_model.rope_score_error``, and ``tests.checks.assert_within``. It checks
batch × seq_q × seq_k pairs; the figure is pairs / seconds per check (best of N), float32 x, half layout,
base 10⁴, head_dim = rotary_dim = 128, on the own ``numpy`` and ``torch`` targets.

Two ways to evaluate the same check:

* ``test``: the test's own functions, called as the test calls them (``rotate``, ``scores``,
  ``relative_scores``, ``score_tolerance`` from ``tests.test_rope``). ``relative_scores`` reduces the
  phase (n−m)·θ_i in double-double (``spec.phases.reduce_phases``) and evaluates the lambdified
  qᵀR₂(φ)k on the full ``[batch, seq_q, seq_k, d/2]`` grid; ``score_tolerance`` builds the same grid.
* ``factored``: the same observed scores, expected value and tolerance at O((seq_q + seq_k)·d)
  elementwise cost plus float64 matrix products (BLAS):
  - observed: ``scores``'s two einsums as one matmul of the concatenated pair coordinates;
  - expected: the exported ``relative_score`` evaluated per *position*: at a unit k it gives a rotation,
    qᵀR₂(−ψ)e_j = (R₂(ψ)q)_j, so R₂(ψ_m)q and R₂(ψ_n)k (ψ exact reduced phases) come from the export;
    then Σ_i (R₂(ψ_m)q)ᵀ(R₂(ψ_n)k) = Σ_i qᵀR₂(ψ_n − ψ_m)k (the derivation ``rope.relative``:
    R₂(a)ᵀR₂(b) = R₂(b−a)) is one matmul. Same number as ``test`` up to float64 rounding (reported).
  - tolerance: ``rope_score_error`` is Σ_i w·|q|ᵢ·|k|ᵢ·(T(φ_q,i) + T(φ_k,i) + c), so it splits into
    three matrix products of per-position terms (done as one); each term is ``error_model.rope_score_error``
    itself, called on a singleton pair axis (see :func:`factored_score_tolerance`). Same number up to
    rounding (reported).

The ``breakdown`` rows split one check of either kind into its stages (where the time goes); the
``agreement`` rows compare the factored expected values and tolerances with the test's.
"""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks import Row, interleaved, standalone
from proofs import rope as proofs
from spec import error_model
from spec.layouts import split_pairs
from spec.phases import reduce_phases
from spec.targets import load_target
from tests import test_rope as T
from tests.checks import ConformanceFailure, assert_within
from tests.strategies import MAX_POSITION, RopeCase

NAME = "relative_property"
HEAD_DIM = 128
DTYPE = "float32"
GOAL = 1e6  # pairs per second (issue 8)


# --- the two evaluations of one check --------------------------------------------------------------
def check_test(target, case, q, k, m, n):
    """tests/test_rope.py::test_rope_scores_match_relative_rotation's body, verbatim."""
    rd = case.rotary_dim
    observed = T.scores(T.rotate(target, DTYPE, case, q, m), T.rotate(target, DTYPE, case, k, n), case.layout, rd)
    assert_within(observed, T.relative_scores(case, q, k, m, n), T.score_tolerance(case, q, k, m, n, DTYPE),
                  what="score vs qᵀR(n−m)k", how="error_model.rope_score_error", context=T.query_key(m, n))


def factored_relative_scores(case, q, k, m, n):
    """af²·qᵀR(n−m)k for every query × key pair from the exported ``relative_score``, per position + one matmul."""
    rd, model = case.rotary_dim, T.model_of(case)
    score = proofs.relative_score()

    def rotated(x, at):
        x1, x2 = split_pairs(x, case.layout, rd)
        psi = reduce_phases(at, model.hi, model.lo)[None]  # exact m·θ_i mod 2π, [1, seq, d/2]
        # qᵀR₂(φ)e₁ = q₁cos φ + q₂sin φ, qᵀR₂(φ)e₂ = −q₁sin φ + q₂cos φ: at φ = −ψ, the two coordinates of R₂(ψ)q.
        return np.concatenate([score(x1, x2, 1.0, 0.0, -psi), score(x1, x2, 0.0, 1.0, -psi)], axis=-1)

    # Σ_i (R₂(ψ_m,i)q_i)ᵀ(R₂(ψ_n,i)k_i) = Σ_i q_iᵀR₂(ψ_n,i − ψ_m,i)k_i  (rope.relative), ψ_n − ψ_m ≡ (n − m)θ_i.
    return model.attention_factor**2 * np.matmul(rotated(q, m), np.swapaxes(rotated(k, n), -1, -2))


def factored_score_tolerance(case, q, k, m, n, dtype):
    """``T.score_tolerance`` (error_model.rope_score_error summed over pairs) as three matmuls.

    rope_score_error(q, k, φ_q, φ_k) = Σ_i w·q_i·k_i·(T(φ_q,i) + T(φ_k,i) + c). With G_q = that sum's term
    at k = 1, φ_k = 0 (per query and pair), G_k likewise and z = the term at q = k = 1, φ = 0:
    tolerance = G_q·kᵀ + q·G_kᵀ − (q·z)·kᵀ. Each of G_q, G_k, z is rope_score_error on a singleton pair axis.
    """
    rd, model = case.rotary_dim, T.model_of(case)
    (q1, q2), (k1, k2) = split_pairs(q, case.layout, rd), split_pairs(k, case.layout, rd)
    q_l1, k_l1 = np.abs(q1) + np.abs(q2), np.abs(k1) + np.abs(k2)  # [batch, seq, d/2]
    phase_q, phase_k = T.magnitudes(m, model)[None], T.magnitudes(n, model)[None]
    sensitivity, af = model.sensitivity[:, None], model.attention_factor

    def term(ql, kl, pq, pk):  # one pair at a time: the summed axis is a singleton
        return error_model.rope_score_error(ql, kl, pq, pk, sensitivity, dtype, af)

    g_q = term(q_l1[..., None], 1.0, phase_q[..., None], 0.0)
    g_k = term(1.0, k_l1[..., None], 0.0, phase_k[..., None])
    z = term(1.0, 1.0, 0.0, 0.0)
    # The three products as one: [G_q | q | −q·z] · [k | G_k | k]ᵀ.
    left = np.concatenate([g_q, q_l1, -q_l1 * z], axis=-1)
    right = np.concatenate([k_l1, g_k, k_l1], axis=-1)
    return np.matmul(left, np.swapaxes(right, -1, -2))


def factored_scores(fq, fk, layout, rd):
    """``T.scores`` (Σ over the rotary pairs of both coordinates' products) as one float64 matmul."""
    (q1, q2), (k1, k2) = split_pairs(fq, layout, rd), split_pairs(fk, layout, rd)
    return np.matmul(np.concatenate([q1, q2], axis=-1), np.swapaxes(np.concatenate([k1, k2], axis=-1), -1, -2))


def check_factored(target, case, q, k, m, n):
    rd = case.rotary_dim
    observed = factored_scores(T.rotate(target, DTYPE, case, q, m), T.rotate(target, DTYPE, case, k, n), case.layout, rd)
    assert_within(observed, factored_relative_scores(case, q, k, m, n), factored_score_tolerance(case, q, k, m, n, DTYPE),
                  what="score vs qᵀR(n−m)k", how="error_model.rope_score_error (factored)", context=T.query_key(m, n))


CHECKS = {"test": check_test, "factored": check_factored}


# --- cases ------------------------------------------------------------------------------------------
def make_case(seq: int, kind: str, batch: int = 1):
    """(case, q, k, m, n): ``kind`` "arange" (m = n = 0 … seq−1) or "random" (the test's range, up to 2²¹)."""
    rng = np.random.default_rng(seq)
    if kind == "arange":
        m = n = np.arange(seq, dtype=np.int64)
    else:
        m, n = rng.integers(0, MAX_POSITION, seq), rng.integers(0, MAX_POSITION, seq)
    case = RopeCase(head_dim=HEAD_DIM, rotary_dim=HEAD_DIM, base=10000.0, layout="half", positions=m, batch=batch,
                    seed=seq, scale_exponent=0)
    return case, case.vectors(DTYPE, 0), case.vectors(DTYPE, 1, seq=len(n)), m, n


def breakdown(target, case, q, k, m, n) -> dict[str, float]:
    """Seconds per stage of one ``test`` check (the stages of ``T.relative_scores`` timed one by one)."""
    rd, model = case.rotary_dim, T.model_of(case)
    stages, clock = {}, time.perf_counter

    start = clock()
    fq, fk = T.rotate(target, DTYPE, case, q, m), T.rotate(target, DTYPE, case, k, n)
    stages["target rope_apply ×2 (+ tests.checks.call)"] = clock() - start
    start = clock()
    observed = T.scores(fq, fk, case.layout, rd)
    stages["scores: einsum of the target's rotations"] = clock() - start
    start = clock()
    (q1, q2), (k1, k2) = split_pairs(q, case.layout, rd), split_pairs(k, case.layout, rd)
    phase = reduce_phases(n[None, :] - m[:, None], model.hi, model.lo)[None]
    stages["relative_scores: reduce_phases on the seq_q×seq_k×d/2 grid"] = clock() - start
    start = clock()
    pairs = proofs.relative_score()(q1[:, :, None], q2[:, :, None], k1[:, None], k2[:, None], phase)
    stages["relative_scores: lambdified qᵀR₂(φ)k on the grid"] = clock() - start
    start = clock()
    expected = model.attention_factor**2 * pairs.sum(-1)
    stages["relative_scores: sum over pairs"] = clock() - start
    del pairs, phase
    start = clock()
    tolerance = T.score_tolerance(case, q, k, m, n, DTYPE)
    stages["score_tolerance on the grid"] = clock() - start
    start = clock()
    assert_within(observed, expected, tolerance, what="score vs qᵀR(n−m)k", how="error_model.rope_score_error")
    stages["assert_within"] = clock() - start
    # For comparison (not part of the check): the phase reduction on the distinct n − m only.
    start = clock()
    delta, inverse = np.unique(n[None, :] - m[:, None], return_inverse=True)
    reduce_phases(delta, model.hi, model.lo)[inverse.reshape(len(m), len(n))]
    stages["(alternative) reduce_phases on the distinct n−m + gather"] = clock() - start
    return stages


def breakdown_factored(target, case, q, k, m, n) -> dict[str, float]:
    """Seconds per stage of one ``factored`` check."""
    rd, clock, stages = case.rotary_dim, time.perf_counter, {}
    start = clock()
    fq, fk = T.rotate(target, DTYPE, case, q, m), T.rotate(target, DTYPE, case, k, n)
    stages["target rope_apply ×2 (+ tests.checks.call)"] = clock() - start
    start = clock()
    observed = factored_scores(fq, fk, case.layout, rd)
    stages["scores: one matmul"] = clock() - start
    start = clock()
    expected = factored_relative_scores(case, q, k, m, n)
    stages["expected: relative_score per position + matmul"] = clock() - start
    start = clock()
    tolerance = factored_score_tolerance(case, q, k, m, n, DTYPE)
    stages["tolerance: rope_score_error terms + matmul"] = clock() - start
    start = clock()
    assert_within(observed, expected, tolerance, what="score vs qᵀR(n−m)k", how="error_model.rope_score_error")
    stages["assert_within"] = clock() - start
    return stages


def agreement(target, case, dtype, m, n) -> dict[str, float]:
    """How far the factored observed scores, expected values and tolerances are from the test's (x exact in ``dtype``)."""
    q, k = case.vectors(dtype, 0), case.vectors(dtype, 1, seq=len(n))
    tolerance = T.score_tolerance(case, q, k, m, n, dtype)
    fq, fk = T.rotate(target, dtype, case, q, m), T.rotate(target, dtype, case, k, n)
    observed_gap = np.abs(factored_scores(fq, fk, case.layout, case.rotary_dim) - T.scores(fq, fk, case.layout, case.rotary_dim))
    expected_gap = np.abs(factored_relative_scores(case, q, k, m, n) - T.relative_scores(case, q, k, m, n))
    tolerance_gap = np.abs(factored_score_tolerance(case, q, k, m, n, dtype) - tolerance) / tolerance
    return {"max |Δobserved| / tolerance": float((observed_gap / tolerance).max()),
            "max |Δexpected| / tolerance": float((expected_gap / tolerance).max()),
            "max relative Δtolerance": float(tolerance_gap.max())}


def run(quick: bool = False) -> list[Row]:
    rows: list[Row] = []
    # (seq, positions, which checks, repeat): the test path's grid is ~4 GB at 1024², so it runs once there.
    plan = [(64, "arange", ("test", "factored"), 20), (256, "arange", ("test", "factored"), 5),
            (256, "random", ("test", "factored"), 5), (1024, "arange", ("factored",), 7)]
    if quick:
        plan = [(64, "arange", ("test", "factored"), 10), (256, "arange", ("test", "factored"), 2),
                (1024, "arange", ("factored",), 3)]
    else:
        plan.append((1024, "arange", ("test",), 1))
        plan.append((4096, "arange", ("factored",), 2))
    for target_name in ("numpy", "torch"):
        target = load_target(target_name)
        if target.unavailable:
            rows.append(Row(NAME, target_name, "pairs/s", "skipped", "", target.unavailable))
            continue
        for seq, kind, checks, repeat in plan:
            case, q, k, m, n = make_case(seq, kind)
            pairs = case.batch * len(m) * len(n)
            label = f"{target_name} {DTYPE} d={HEAD_DIM} {case.batch}×{seq}×{seq} {kind}"
            functions = {name: functools.partial(CHECKS[name], target, case, q, k, m, n) for name in checks}
            try:
                timings = interleaved(functions, repeat=repeat, warmup=1 if seq <= 256 else 0, max_seconds=30)
            except ConformanceFailure as failure:  # a benchmark, not a test: say so and go on
                rows.append(Row(NAME, label, "pairs/s", "FAILED", "", str(failure).splitlines()[0]))
                continue
            for name, timing in timings.items():
                rate = pairs / timing.best
                rows.append(Row(NAME, label, f"pairs/s [{name}]", rate, "pairs/s",
                                f"{timing.best * 1e3:.1f} ms/check (best of {timing.calls}); "
                                f"{rate / GOAL:.2f}× the 10⁶ goal"))
    # Where the time of the test path goes, and whether the factored path computes the same numbers.
    numpy_target = load_target("numpy")
    plan = [("test", 256, breakdown), ("factored", 1024, breakdown_factored)]
    if not quick:
        plan.insert(1, ("test", 1024, breakdown))
    for kind, seq, function in plan:
        case, q, k, m, n = make_case(seq, "arange")
        stages = function(numpy_target, case, q, k, m, n)
        total = sum(v for key, v in stages.items() if not key.startswith("("))
        for stage, seconds in stages.items():
            share = "not in the check" if stage.startswith("(") else f"{100 * seconds / total:.0f}% of {total * 1e3:.0f} ms"
            rows.append(Row(NAME, f"breakdown [{kind}] numpy 1×{seq}×{seq}", stage, seconds * 1e3, "ms", share))
    for seq, kind in ((64, "arange"), (256, "random")):
        case, _, _, m, n = make_case(seq, kind, batch=2)
        for dtype in ("float64", "float32", "bfloat16"):
            for measure, value in agreement(numpy_target, case, dtype, m, n).items():
                rows.append(Row(NAME, f"agreement numpy 2×{seq}×{seq} {kind} {dtype}", measure, value, "",
                                "factored vs test (≪ 1: the same verdicts)"))
    return rows


def main() -> int:
    return standalone(run, __doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
