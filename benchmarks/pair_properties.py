r"""Position pairs per second checked by the properties that relate pairs, on the tests' own code path (≥ 10⁶/s).

    python -m benchmarks.pair_properties [--quick]

One *check* is one example of a property: the very function its test calls on each drawn example.

* ``relative`` — ``tests/test_rope.py::check_relative``: the target's ``rope_apply`` of q at positions m and k at n,
  the scores ⟨f(q,m), f(k,n)⟩ of every query × key pair, the expected af²·qᵀR(n−m)k from the export
  ``proofs.rope.relative_score`` at exact phases, the tolerance ``error_model.rope_score_error_matrix``, and
  ``tests.checks.assert_within``. Pairs: batch · seq_q · seq_k.
* ``shift`` — ``tests/test_rope.py::check_shift``: the same scores at (m, n) and at (m + t, n + t), each pair within
  the sum of both tolerances. Pairs: batch · seq_q · seq_k.
* ``chunked prefill`` — ``tests/test_attention.py::check_chunked_prefill``: the target's ``attention`` on a full
  causal call and on its last half of rows alone, each bounded by ``error_model.attention_error`` around the exact
  oracle. Pairs: the query × key pairs of both calls, per batch and head.

RoPE: head_dim = rotary_dim = 128, float32, half layout, base 10⁴, positions 0 … seq − 1 ("arange") or drawn up to
2²¹ ("random"), t = 10⁶ + 1. Attention: ALiBi, 8 heads, head dim 16 and value dim 8 (the largest the test draws),
float32, default (bottom-right) positions; its exact oracle works in long double, without BLAS, so its cost per
pair grows with the head dim. Targets ``numpy`` and ``torch``; each figure is pairs / seconds of the best of N checks.

Both RoPE properties evaluate per position and then one matrix product (the scores, the expected values, the
tolerance: see ``relative_scores`` and ``error_model.rope_score_error_matrix``), so their cost grows with
seq_q + seq_k until the products dominate; the test's own grids are at most 8 × 8, where the target's calls and the
fixed costs dominate.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks import Row, interleaved, standalone
from spec.targets import load_target
from tests import test_attention as A
from tests import test_rope as T
from tests.checks import ConformanceFailure
from tests.strategies import MAX_POSITION, RopeCase

NAME = "pair_properties"
HEAD_DIM = 128
DTYPE = "float32"
SHIFT = 10**6 + 1
GOAL = 1e6  # pairs per second


def rope_check(prop: str, target, seq: int, kind: str):
    """(pairs, the check as a no-argument call) of ``check_relative`` or ``check_shift`` on seq × seq positions."""
    rng = np.random.default_rng(seq)
    m = n = np.arange(seq, dtype=np.int64)
    if kind == "random":
        m, n = rng.integers(0, MAX_POSITION, seq), rng.integers(0, MAX_POSITION, seq)
    case = RopeCase(head_dim=HEAD_DIM, rotary_dim=HEAD_DIM, base=10000.0, layout="half", positions=m, batch=1,
                    seed=seq, scale_exponent=0)
    q, k = case.vectors(DTYPE, 0), case.vectors(DTYPE, 1, seq=len(n))
    if prop == "relative":
        return seq * seq, functools.partial(T.check_relative, target, DTYPE, case, q, k, m, n)
    return seq * seq, functools.partial(T.check_shift, target, DTYPE, case, q, k, m, n, SHIFT)


def chunk_check(target, length: int, heads: int = 8):
    """(pairs, the check) of ``check_chunked_prefill``: L = S = ``length``, rows L/2 … L − 1 called alone."""
    case = A.Case(batch=1, heads=heads, kv_heads=heads, q_len=length, k_len=length, head_dim=16, value_dim=8,
                  causal=True, bias="alibi", positions="default", q_offset=0, k_offset=0, scale=None, rank=None,
                  ranks=4, t5=None, seed=length, q_exponent=0)
    start, end = length // 2, length
    pairs = heads * (length * length + (end - start) * length)
    return pairs, functools.partial(A.check_chunked_prefill, target, DTYPE, case, start, end)


def run(quick: bool = False) -> list[Row]:
    rows: list[Row] = []
    # (property, size, kind, repeat)
    plan = [("relative", 64, "arange", 20), ("relative", 256, "arange", 10), ("relative", 256, "random", 10),
            ("relative", 1024, "arange", 5), ("shift", 64, "arange", 20), ("shift", 256, "random", 10),
            ("shift", 1024, "arange", 5), ("chunked prefill", 64, "", 10), ("chunked prefill", 256, "", 3)]
    if quick:
        plan = [("relative", 64, "arange", 10), ("relative", 256, "random", 5), ("shift", 256, "random", 5),
                ("chunked prefill", 64, "", 5), ("chunked prefill", 128, "", 3)]
    for target_name in ("numpy", "torch"):
        target = load_target(target_name)
        if target.unavailable:
            rows.append(Row(NAME, target_name, "pairs/s", "skipped", "", target.unavailable))
            continue
        for prop, size, kind, repeat in plan:
            if prop == "chunked prefill":
                pairs, check = chunk_check(target, size)
                label = f"{target_name} {DTYPE} 1×8 heads, D = 16, L = S = {size}, rows {size // 2}…{size - 1} alone"
            else:
                pairs, check = rope_check(prop, target, size, kind)
                label = f"{target_name} {DTYPE} d={HEAD_DIM} 1×{size}×{size} {kind}"
            try:
                timing = interleaved({prop: check}, repeat=repeat, warmup=1, max_seconds=30)[prop]
            except ConformanceFailure as failure:  # a benchmark, not a test: say so and go on
                rows.append(Row(NAME, label, f"pairs/s [{prop}]", "FAILED", "", str(failure).splitlines()[0]))
                continue
            rate = pairs / timing.best
            rows.append(Row(NAME, label, f"pairs/s [{prop}]", rate, "pairs/s",
                            f"{pairs} pairs, {timing.best * 1e3:.1f} ms/check (best of {timing.calls}); "
                            f"{rate / GOAL:.2f}× the 10⁶ goal"))
    return rows


def main() -> int:
    return standalone(run, __doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
