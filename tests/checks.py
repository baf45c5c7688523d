"""Assertions and op calls shared by the property tests.

* :func:`conformance` marks a test as a property of one op (the gate tabulates by op and family and
  names the derivation behind it).
* :func:`call` runs a target's op on native inputs and returns a float64/int64 NumPy view of the
  result after checking its type, shape and dtype; ``NotImplementedError`` means "not provided".
* :func:`assert_within` compares with an elementwise tolerance from ``spec.error_model`` and, on
  failure, reports the worst entry: observed, expected, error, tolerance and how it was derived.
"""

from __future__ import annotations

import numpy as np
import pytest

from spec.targets import dtype_name

#: Facts about the running test for the conformance report (reset per test by conftest.py).
RECORD: dict = {}


class ConformanceFailure(AssertionError):
    """A target's result violates a property (as opposed to the target crashing)."""


def conformance(op: str, family: str, derivation: str):
    """Mark a property test of ``op``; ``derivation`` names its entry in ``proofs`` (or ``spec``)."""
    return pytest.mark.conformance(op=op, family=family, derivation=derivation)


def dtype_of(target, result) -> str:
    """The dtype name of a native result."""
    return dtype_name(target.to_numpy(result))


def call_raw(target, op: str, *args, **kwargs):
    """Run ``target.op(*args, **kwargs)`` as is; ``NotImplementedError`` skips as "not provided"."""
    try:
        return target.op(op)(*args, **kwargs)
    except NotImplementedError as error:
        pytest.skip(f"not provided: {op}: {error}")


def call(target, op: str, *args, shape=None, dtype=None, **kwargs) -> np.ndarray:
    """Run an op returning one array; return it as a float64 (or int64) NumPy array."""
    return as_array(target, op, call_raw(target, op, *args, **kwargs), shape=shape, dtype=dtype)


def as_array(target, op: str, result, *, shape=None, dtype=None) -> np.ndarray:
    """Check a native result's type, ``shape`` and ``dtype`` (a name, or ``"integer"``); return it in NumPy.

    Floating results come back as float64 (exactly), integer ones as int64.
    """
    array = target.to_numpy(result)
    if not isinstance(array, np.ndarray):
        raise ConformanceFailure(f"{op} returned {type(result).__name__}, expected a {target.array_api} array")
    observed = dtype_name(array)
    RECORD["dtype"] = observed
    if shape is not None and tuple(array.shape) != tuple(shape):
        raise ConformanceFailure(f"{op} returned shape {tuple(array.shape)}, expected {tuple(shape)}")
    if dtype == "integer":
        if array.dtype.kind not in "iu":
            raise ConformanceFailure(f"{op} returned dtype {observed}, expected an integer dtype")
        return array.astype(np.int64)
    if dtype is not None and observed != dtype:
        raise ConformanceFailure(f"{op} returned dtype {observed}, expected {dtype} (the input's dtype)")
    if array.dtype.kind != "f" and observed != "bfloat16":
        raise ConformanceFailure(f"{op} returned dtype {observed}, expected a floating dtype")
    return array.astype(np.float64)


def _note(error: np.ndarray, tolerance: np.ndarray) -> None:
    """Keep the worst error/tolerance ratio seen by this test for the report."""
    if error.size == 0:
        return
    with np.errstate(over="ignore"):
        ratio = error / np.maximum(tolerance, np.finfo(np.float64).tiny)
    worst = int(np.argmax(ratio))
    if ratio.flat[worst] >= RECORD.get("ratio", -1.0):
        RECORD.update(ratio=float(ratio.flat[worst]), max_error=float(error.flat[worst]), tolerance=float(tolerance.flat[worst]))


def assert_within(observed, expected, tolerance, *, what: str, how: str, context: dict | None = None) -> None:
    """Fail unless |observed − expected| ≤ tolerance elementwise (±inf must match exactly, NaN never).

    ``how`` says where the tolerance comes from (shown on failure); ``context`` names what to show of
    the worst entry (positions, …): arrays shaped like ``observed`` or functions of the index.
    """
    observed, expected = np.broadcast_arrays(np.asarray(observed, np.float64), np.asarray(expected, np.float64))
    tolerance = np.broadcast_to(np.asarray(tolerance, np.float64), observed.shape)
    same_inf = np.isinf(expected) & (observed == expected)
    with np.errstate(invalid="ignore"):  # inf − inf where both are the same infinity
        error = np.where(same_inf, 0.0, np.abs(observed - expected))
    error = np.where(np.isnan(error), np.inf, error)
    _note(error, tolerance)
    bad = ~(error <= tolerance)
    if not bad.any():
        return
    with np.errstate(over="ignore"):
        ratio = np.where(bad, error / np.maximum(tolerance, np.finfo(np.float64).tiny), -1.0)
    index = np.unravel_index(int(np.argmax(ratio)), observed.shape)
    lines = [
        f"{what}: {int(bad.sum())} of {bad.size} entries outside tolerance; worst at index {tuple(int(i) for i in index)}:",
        f"  observed  {float(observed[index])!r}",
        f"  expected  {float(expected[index])!r}",
        f"  error     {error[index]:.3e}",
        f"  tolerance {tolerance[index]:.3e}  ({how})",
    ]
    _fail(lines, index, context, observed=float(observed[index]), expected=float(expected[index]))


def assert_exact(observed, expected, *, what: str, context: dict | None = None) -> None:
    """Bitwise/integer equality: for copies, masks and integer outputs (tolerance zero)."""
    assert_within(observed, expected, 0.0, what=what, how="exact: no arithmetic is involved", context=context)


def assert_true(condition, *, what: str, context: dict | None = None) -> None:
    """Fail where a boolean property is false, showing the first offending entry and its context."""
    condition = np.asarray(condition, dtype=bool)
    if condition.all():
        return
    index = np.unravel_index(int(np.argmin(condition)), condition.shape)
    lines = [f"{what}: violated at {int((~condition).sum())} of {condition.size} entries; first at {tuple(int(i) for i in index)}"]
    _fail(lines, index, context)


def _fail(lines: list[str], index: tuple, context: dict | None, **facts) -> None:
    """Raise with the worst entry's context and record it.

    A context value is an array shaped like the checked one, or a function of the entry's index.
    """
    counterexample = {"index": [int(i) for i in index], **facts}
    for name, values in (context or {}).items():
        shown = values(index) if callable(values) else np.asarray(values)[index]
        shown = shown.item() if isinstance(shown, np.generic) else shown
        lines.append(f"  {name} = {shown!r}")
        counterexample[name] = shown.tolist() if hasattr(shown, "tolist") else shown
    RECORD["counterexample"] = counterexample
    raise ConformanceFailure("\n".join(lines))
