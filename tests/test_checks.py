"""Tests of the test helpers: the assertions must be able to fail, and say why."""

from __future__ import annotations

import numpy as np
import pytest

from spec.targets import load_target
from tests import checks
from tests.checks import ConformanceFailure, as_array, assert_exact, assert_true, assert_within


def test_assert_within_passes_inside_and_fails_outside():
    assert_within([1.0, 2.0], [1.0, 2.1], [0.0, 0.1000001], what="x", how="h")
    with pytest.raises(ConformanceFailure, match=r"1 of 2 entries.*worst at index \(1,\)") as failure:
        assert_within([1.0, 2.0], [1.0, 2.1], 0.05, what="x", how="the model", context={"pos": np.array([7, 9])})
    assert "tolerance 5.000e-02  (the model)" in str(failure.value) and "pos = 9" in str(failure.value)
    assert checks.RECORD["counterexample"]["pos"] == 9


def test_assert_within_infinities_and_nan():
    assert_within([-np.inf, 1.0], [-np.inf, 1.0], 0.0, what="x", how="h")
    for observed in ([np.inf, 1.0], [np.nan, 1.0], [-np.inf, np.nan]):
        with pytest.raises(ConformanceFailure):
            assert_within(observed, [-np.inf, 1.0], 1.0, what="x", how="h")


def test_assert_exact_and_true():
    assert_exact(np.arange(3), np.arange(3), what="x")
    with pytest.raises(ConformanceFailure):
        assert_exact([0.0, 1.0], [0.0, 1.0 + 2**-52], what="x")
    with pytest.raises(ConformanceFailure, match="first at \\(2,\\)"):
        assert_true([True, True, False], what="x")


def test_as_array_checks_type_shape_and_dtype():
    numpy_target = load_target("numpy")
    with pytest.raises(ConformanceFailure, match="expected a numpy array"):
        as_array(numpy_target, "op", [1.0, 2.0])
    with pytest.raises(ConformanceFailure, match="shape"):
        as_array(numpy_target, "op", np.zeros(3), shape=(4,))
    with pytest.raises(ConformanceFailure, match="dtype float64, expected float32"):
        as_array(numpy_target, "op", np.zeros(3), dtype="float32")
    with pytest.raises(ConformanceFailure, match="integer"):
        as_array(numpy_target, "op", np.zeros(3), dtype="integer")
    assert as_array(numpy_target, "op", np.zeros(3, np.float32), dtype="float32").dtype == np.float64
