"""Learned absolute positions (``learned_absolute``): structural checks only.

A trained table has no relation between its rows (``proofs/learned_absolute.py`` says why), so the
properties are the lookup itself — exact row copies, no arithmetic, hence no tolerance — and a clear
error for positions outside the table (a silent wrap-around or clamp is a wrong answer).
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from proofs import learned_absolute as proofs
from tests.checks import ConformanceFailure, assert_exact, call, call_rejecting, conformance
from tests.strategies import exactly_in


@st.composite
def lookups(draw):
    rows, dim = draw(st.integers(1, 64)), draw(st.integers(1, 32))
    positions = draw(hnp.arrays(np.int64, st.integers(0, 24), elements=st.integers(0, rows - 1)))
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).standard_normal((rows, dim)), positions


@conformance("learned_absolute", "lookup", derivation=proofs.LOOKUP.name)
@given(case=lookups())
def test_learned_absolute_copies_rows(target, dtype, case):
    table, positions = case
    table = exactly_in(table, dtype)
    observed = call(target, "learned_absolute", target.asarray(table, dtype), target.asarray(positions),
                    shape=(len(positions), table.shape[1]), dtype=dtype)
    assert_exact(observed, table[positions], what="rows of the table", context={"position": lambda i: positions[i[0]]})


@conformance("learned_absolute", "range", derivation=proofs.LOOKUP.name)
@given(rows=st.integers(1, 64), outside=st.one_of(st.integers(-100, -1), st.integers(0, 100)))
def test_learned_absolute_rejects_positions_outside_table(target, dtype, rows, outside):
    """A position < 0 or ≥ len(table) raises ValueError or IndexError (never wraps or clamps)."""
    position = outside if outside < 0 else rows + outside
    table = target.asarray(np.zeros((rows, 4)), dtype)
    with pytest.raises((ValueError, IndexError)):
        call_rejecting(target, "learned_absolute", table, target.asarray(np.array([0, position], np.int64)))
        raise ConformanceFailure(f"learned_absolute accepted position {position} for a table of {rows} rows")
