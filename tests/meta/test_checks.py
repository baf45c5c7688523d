"""Tests of the test helpers: the assertions must be able to fail, and say why."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.targets import Target, load_target
from tests import checks
from tests.checks import (
    ConformanceFailure,
    OpNotCalled,
    OpRaised,
    OpTimeout,
    as_array,
    assert_exact,
    assert_true,
    assert_within,
    call_raw,
)


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


def test_as_array_checks_the_native_array_type_and_device():
    torch = pytest.importorskip("torch")
    torch_target = Target("fake-torch", array_api="torch", device="cpu")
    with pytest.raises(ConformanceFailure, match="returned ndarray, expected a torch array"):
        as_array(torch_target, "op", np.zeros(3))
    with pytest.raises(ConformanceFailure, match="on meta, expected one on cpu"):
        as_array(torch_target, "op", torch.zeros(3, device="meta"))
    with pytest.raises(ConformanceFailure, match="returned Tensor, expected a numpy array"):
        as_array(load_target("numpy"), "op", torch.zeros(3))


def test_assert_within_names_nan_and_infinity_first():
    with pytest.raises(ConformanceFailure, match=r"^x: 3 of 3 entries outside tolerance \(1 NaN, 2 infinite\);"):
        assert_within([np.nan, np.inf, -np.inf], [0.0, 0.0, np.inf], 1.0, what="x", how="h")


def fake(**ops) -> Target:
    """A NumPy target offering just ``ops``."""
    return Target("fake", module=SimpleNamespace(**ops))


@pytest.fixture
def op_timeout(monkeypatch):
    """Set the op time limit for this test, with no op remembered as timed out."""
    monkeypatch.setattr(checks, "_TIMED_OUT", {})
    return lambda seconds: monkeypatch.setattr(checks, "OP_TIMEOUT", seconds)


def test_call_raw_fails_when_an_array_argument_is_modified():
    def scribbles(x, positions, **kwargs):
        x[0, 1] = -x[0, 1]
        return x.copy()

    x = np.array([[np.nan, 0.0], [1.0, 2.0]])  # -0.0 == 0.0, but it is a change all the same
    with pytest.raises(ConformanceFailure, match=r"rope_apply modified its input `x` in place \(1 of 4 entries changed\)"):
        call_raw(fake(rope_apply=scribbles), "rope_apply", x, np.arange(2))
    untouched = np.array([[np.nan, 0.0], [1.0, 2.0]])  # NaN is bitwise equal to itself: no change
    call_raw(fake(rope_apply=lambda x, positions, **kwargs: x + 1), "rope_apply", untouched, np.arange(2))

    def reshapes(table, positions):
        table.shape = (table.size,)
        return table[positions]

    with pytest.raises(ConformanceFailure, match=r"modified its input `table` in place: it is now float64\[6\], was float64\[2, 3\]"):
        call_raw(fake(learned_absolute=reshapes), "learned_absolute", np.ones((2, 3)), positions=np.arange(2))


@pytest.mark.parametrize("hang", ["sleep", "loop"])
def test_call_raw_times_out_then_does_not_call_again(op_timeout, hang):
    op_timeout(0.2)
    calls = []

    def never_returns(x, positions, **kwargs):
        calls.append(1)
        give_up = time.monotonic() + 5  # so that a broken time limit fails this test instead of hanging it
        while time.monotonic() < give_up:
            with contextlib.suppress(Exception):  # an op swallowing ordinary exceptions cannot swallow the timeout
                time.sleep(give_up - time.monotonic()) if hang == "sleep" else None

    target, start = fake(rope_apply=never_returns), time.monotonic()
    with pytest.raises(OpTimeout, match=r"rope_apply timed out after 0.2 s: rope_apply\(x=float64\[2, 3\], positions=int64\[2\], base=10\.0\)"):
        call_raw(target, "rope_apply", np.ones((2, 3)), np.arange(2), base=10.0)
    assert isinstance(OpTimeout("x"), ConformanceFailure) and time.monotonic() - start < 5
    with pytest.raises(OpNotCalled, match="rope_apply not called: it timed out after 0.2 s in tests/meta/test_checks.py::"):
        call_raw(target, "rope_apply", np.ones((2, 3)), np.arange(2))
    assert len(calls) == 1
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_hypothesis_stops_at_an_op_that_timed_out(op_timeout):
    """No further examples, no shrinking: each would wait out the limit again (here they would fail with
    OpNotCalled, and Hypothesis would report a flaky test instead of the timeout)."""
    op_timeout(0.1)
    calls = []

    def sleeps(x, positions, **kwargs):
        calls.append(1)
        time.sleep(10)

    @settings(database=None, max_examples=20)
    @given(st.integers(0, 10))
    def prop(n):
        call_raw(fake(rope_apply=sleeps), "rope_apply", np.ones((n + 1, 2)), np.arange(n + 1))

    with pytest.raises(OpTimeout):
        prop()
    assert len(calls) == 1


def test_time_limit_keeps_an_outer_alarm(op_timeout):
    class Outer(Exception):
        pass

    def outer(signum, frame):
        raise Outer

    original = signal.signal(signal.SIGALRM, outer)
    try:
        op_timeout(5.0)  # the outer alarm is later than the limit: restored afterwards with its remaining time
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        call_raw(fake(alibi_slopes=lambda n: np.ones(n)), "alibi_slopes", 4)
        assert signal.getsignal(signal.SIGALRM) is outer and 25 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
        signal.setitimer(signal.ITIMER_REAL, 0.1)  # the outer alarm is sooner: it goes off as its owner meant
        start = time.monotonic()
        with pytest.raises(OpRaised) as raised:  # an Exception raised inside the op's call is reported as the op's
            call_raw(fake(alibi_slopes=lambda n: time.sleep(10)), "alibi_slopes", 4)
        assert isinstance(raised.value.__cause__, Outer) and time.monotonic() - start < 2.5
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, original)


def test_no_time_limit_off_the_main_thread_or_when_disabled(op_timeout):
    """SIGALRM can only interrupt the main thread; elsewhere (and with CONFORMANCE_OP_TIMEOUT=0) ops run unlimited."""
    target = fake(alibi_slopes=lambda n: time.sleep(0.2) or np.ones(n))
    op_timeout(0.05)
    results = []
    thread = threading.Thread(target=lambda: results.append(call_raw(target, "alibi_slopes", 2)))
    thread.start()
    thread.join()
    assert len(results) == 1
    op_timeout(0)
    assert call_raw(target, "alibi_slopes", 2).shape == (2,)


def test_op_timeout_from_the_environment(monkeypatch):
    monkeypatch.setenv("CONFORMANCE_OP_TIMEOUT", "1.5")
    assert checks._op_timeout() == 1.5
    monkeypatch.delenv("CONFORMANCE_OP_TIMEOUT")
    assert checks._op_timeout() == 20
    for bad in ("soon", "-1", "nan"):
        monkeypatch.setenv("CONFORMANCE_OP_TIMEOUT", bad)
        with pytest.raises(ValueError, match="CONFORMANCE_OP_TIMEOUT"):
            checks._op_timeout()
