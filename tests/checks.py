"""Assertions and op calls shared by the property tests.

* :func:`conformance` marks a test as a property of one op (the gate tabulates by op and family and
  names the derivation behind it).
* :func:`call` runs a target's op on native inputs and returns a float64/int64 NumPy view of the
  result after checking its type, shape and dtype; ``NotImplementedError`` means "not provided". Every
  call (:func:`call_raw`) also fails if the op modifies an array argument or does not return within
  :data:`OP_TIMEOUT` seconds.
* :func:`assert_within` compares with an elementwise tolerance from ``spec.error_model`` and, on
  failure, reports the worst entry: observed, expected, error, tolerance and how it was derived.
"""

from __future__ import annotations

import functools
import inspect
import os
import signal
import threading
import time
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import currently_in_test_context, reject
from hypothesis.errors import FailedHealthCheck

from spec import protocol
from spec.targets import dtype_name

#: Facts about the running test for the conformance report (reset per test by conftest.py).
RECORD: dict = {}


def _op_timeout() -> float:
    raw = os.environ.get("CONFORMANCE_OP_TIMEOUT", "20")
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise ValueError(f"CONFORMANCE_OP_TIMEOUT={raw!r}: expected seconds (a number >= 0; 0 means no limit)")
    return seconds


#: Seconds one op call may take (environment: CONFORMANCE_OP_TIMEOUT; 0 = no limit). The slowest call of
#: the own targets takes well under a second; 20 s leaves room for slow machines and first-call warm-up.
OP_TIMEOUT = _op_timeout()

#: (target name, op) -> how a call of it timed out: later calls fail at once instead of waiting again.
_TIMED_OUT: dict[tuple[str, str], str] = {}


class ConformanceFailure(AssertionError):
    """A target's result violates a property (as opposed to the target crashing)."""


class OpMisbehaved(ConformanceFailure, FailedHealthCheck):
    """An op returned something no property needs to look at: NaN or inf where the value is finite, the
    wrong shape, dtype or array type, or it wrote into its input.

    Also a ``FailedHealthCheck`` because Hypothesis re-raises those at once, where any other failure makes
    it try more examples and shrink: seconds per property, for a counterexample that explains nothing more
    than the first one (a user's first target often misbehaves on every call).
    """


class OpTimeout(OpMisbehaved):
    """An op did not return within :data:`OP_TIMEOUT` seconds (each further example would wait it out again)."""


class OpRaised(FailedHealthCheck):
    """An op raised on valid input (not ``NotImplementedError``): an error, reported without shrinking."""


class OpNotCalled(FailedHealthCheck):
    """An op that timed out in an earlier test is not called again: that test is an error, not a verdict."""


class _Expired(BaseException):
    """Raised by the SIGALRM handler; not an ``Exception``, so a target's ``except Exception`` cannot swallow it."""


def conformance(op: str, family: str, derivation: str, rope_type: str | None = None):
    """Mark a property test of ``op``; ``derivation`` names its entry in ``proofs`` (or ``spec``).

    ``rope_type``: the one scaler the property checks. It runs only on targets implementing it (``ROPE_TYPES``)
    and, for an extension of the vocabulary, declaring it (``EXTENSIONS``). A test parametrized by ``rope_type``
    needs no such mark: the gate reads the parameter.
    """
    return pytest.mark.conformance(op=op, family=family, derivation=derivation, rope_type=rope_type)


def dtype_of(target, result) -> str:
    """The dtype name of a native result."""
    return dtype_name(target.to_numpy(result))


#: Calls of each op kept for the diagnosis: a failing example's calls are among the last few (a property calls an
#: op a few times per example: the case, the plain reference, a shifted copy, ...).
RECENT_CALLS = 6
#: Ops whose results hold infinities by definition (ALiBi's −inf mask): an infinity there is a value, to be diagnosed.
INFINITE_VALUES = ("alibi_bias",)


def call_raw(target, op: str, *args, **kwargs):
    """Run ``target.op(*args, **kwargs)`` on valid input; ``NotImplementedError`` skips as "not provided".

    Any other exception is an :class:`OpRaised` error; an op that changed an array argument or did not
    return within :data:`OP_TIMEOUT` seconds fails (:class:`OpMisbehaved`). Neither is shrunk. The
    arguments of the last :data:`RECENT_CALLS` calls are kept in ``RECORD["calls"][op]`` for the diagnosis of a
    failure (conftest.py).
    """
    return _call(target, op, args, kwargs, bad_input=False)


def call_rejecting(target, op: str, *args, **kwargs):
    """:func:`call_raw` for bad input: the op's own exception (``ValueError``, ``TypeError``, …) propagates."""
    return _call(target, op, args, kwargs, bad_input=True)


def _call(target, op: str, args: tuple, kwargs: dict, *, bad_input: bool):
    if not target.provides(op):  # a property relating two ops: the other one is missing
        not_provided(f"{op}: the target does not offer it")
    earlier = _TIMED_OUT.get((target.name, op))
    if earlier:
        _misbehaved(None, "timed out earlier: not called")
        raise OpNotCalled(f"{op} not called: it timed out {earlier}")
    arguments = _named_arguments(op, args, kwargs)
    snapshots = {name: np.array(target.to_numpy(value), copy=True) for name, value in arguments.items() if _is_array(value)}
    if not bad_input:  # a rejected call has nothing to diagnose
        calls = RECORD.setdefault("calls", {}).setdefault(op, [])
        calls.append({name: snapshots.get(name, value) for name, value in arguments.items()})
        del calls[:-RECENT_CALLS]
    try:
        with _time_limit():
            result = target.op(op)(*args, **kwargs)
    except NotImplementedError as error:
        not_provided(f"{op}: {error}")
    except _Expired:
        described = {name: _describe(value) for name, value in arguments.items()}
        _misbehaved(arguments, "timed out")
        test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]  # "<node id> (call)"
        _TIMED_OUT[(target.name, op)] = f"after {OP_TIMEOUT:g} s in {test or 'an earlier call'}"
        shown = ", ".join(f"{name}={value}" for name, value in described.items())
        raise OpTimeout(f"{op} timed out after {OP_TIMEOUT:g} s: {op}({shown})") from None
    except (Exception, SystemExit) as error:  # SystemExit too: a target must not end the gate
        if bad_input and not isinstance(error, SystemExit):
            raise
        _misbehaved(arguments, f"raised {type(error).__name__}")
        raise OpRaised(f"{op} raised {type(error).__name__}: {error}{_signature_hint(op, error)}") from error
    RECORD["provided"] = True
    for name, before in snapshots.items():
        after = target.to_numpy(arguments[name])
        if after.shape != before.shape or after.dtype != before.dtype:
            _misbehaved(arguments, "modified its input")
            raise OpMisbehaved(f"{op} modified its input `{name}` in place: it is now {_describe(arguments[name])}, "
                               f"was {dtype_name(before)}{list(before.shape)}")
        # Bitwise, so that NaN entries compare equal to themselves and -0.0 differs from 0.0.
        changed = np.count_nonzero(np.any(_bytes(after) != _bytes(before), axis=1))
        if changed:
            _misbehaved(arguments, "modified its input")
            raise OpMisbehaved(f"{op} modified its input `{name}` in place ({changed} of {before.size} entries changed)")
    return result


def _misbehaved(arguments: dict | None, what: str) -> None:
    """Record a misbehaviour (the gate prints one line per op for them, and does not diagnose them)."""
    RECORD["misbehaviour"] = what
    if arguments is not None:
        RECORD["counterexample"] = {name: _describe(value) for name, value in arguments.items()}


def _signature_hint(op: str, error: BaseException) -> str:
    """A TypeError about arguments usually means the op's signature differs from the protocol's."""
    if isinstance(error, TypeError) and "argument" in str(error):
        return f" (check its signature against spec.protocol.{op}: {op}{inspect.signature(getattr(protocol, op))})"
    return ""


#: Discarded cases after which a property none of whose cases were provided is "not provided". A target
#: offering a tenth of the cases (one base of the ten common ones) still gets one with probability 1 − 0.9¹⁰⁰.
GIVE_UP_AFTER = 100


def not_provided(reason: str):
    """This case is outside what the target offers (a base, a layout, a scaler it lacks).

    Inside a Hypothesis test the example is discarded and another drawn, so a target that offers
    only some cases is checked on those; a property none of whose cases it offers is reported
    "not provided" (conftest.py, from the ``Unsatisfiable`` this ends in). Elsewhere: skip.
    """
    RECORD.setdefault("not_provided", f"not provided: {reason}")
    RECORD["discarded"] = RECORD.get("discarded", 0) + 1
    if currently_in_test_context() and (RECORD.get("provided") or RECORD["discarded"] < GIVE_UP_AFTER):
        reject()
    pytest.skip(RECORD["not_provided"])


@functools.cache
def _parameter_names(op: str) -> tuple[str, ...]:
    return tuple(inspect.signature(getattr(protocol, op)).parameters)


def _named_arguments(op: str, args: tuple, kwargs: dict) -> dict:
    """The call's arguments by their names in ``spec.protocol`` (``argument 3`` past the last name)."""
    names = _parameter_names(op)
    positional = {names[i] if i < len(names) else f"argument {i}": value for i, value in enumerate(args)}
    return {**positional, **kwargs}


def _is_array(value) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


def _bytes(array: np.ndarray) -> np.ndarray:
    """``[size, itemsize]`` uint8 view of an array's entries."""
    array = np.ascontiguousarray(array)
    return array.view(np.uint8).reshape(array.size, array.itemsize)


def _describe(value) -> str:
    """An argument as shown in a timeout message: an array's dtype and shape, anything else's repr."""
    if _is_array(value):
        return f"{dtype_name(value)}{list(value.shape)}"
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


@contextmanager
def _time_limit():
    """Raise :class:`_Expired` if the block runs longer than :data:`OP_TIMEOUT` seconds.

    SIGALRM interrupts a pure-Python loop or a ``time.sleep``, but only in the main thread of a POSIX
    process (elsewhere there is no limit) and only between bytecodes: a C extension looping without
    returning to the interpreter is not interrupted (the pytest run's own timeout is the backstop). An
    alarm someone else set (a per-test timeout plugin) keeps its handler and its remaining time.
    """
    if not OP_TIMEOUT or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    outer_delay, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    if 0 < outer_delay <= OP_TIMEOUT:  # the other alarm comes first anyway
        yield
        return

    def expire(signum, frame):
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, OP_TIMEOUT)
    try:
        yield
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:  # even if the alarm went off just before it was disarmed
            signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
            if outer_delay:
                signal.setitimer(signal.ITIMER_REAL, max(outer_delay - (time.monotonic() - start), 1e-6), outer_interval)


def call(target, op: str, *args, shape=None, dtype=None, **kwargs) -> np.ndarray:
    """Run an op returning one array; return it as a float64 (or int64) NumPy array."""
    return as_array(target, op, call_raw(target, op, *args, **kwargs), shape=shape, dtype=dtype)


def _native(target, result) -> bool:
    """Whether ``result`` is the target's own array type (a torch target returning NumPy is not)."""
    if target.array_api == "torch":
        import torch

        return isinstance(result, torch.Tensor)
    return isinstance(result, np.ndarray)


def _torch_device_type(device: str) -> str:
    import torch

    return torch.device(device).type


def _wrong_result(op: str, message: str):
    _misbehaved((RECORD.get("calls", {}).get(op) or [None])[-1], "returned the wrong type, shape or dtype")
    raise OpMisbehaved(message)


def as_array(target, op: str, result, *, shape=None, dtype=None) -> np.ndarray:
    """Check a native result's type, ``shape`` and ``dtype`` (a name, or ``"integer"``); return it in NumPy.

    Floating results come back as float64 (exactly), integer ones as int64.
    """
    if not _native(target, result):
        _wrong_result(op, f"{op} returned {type(result).__name__}, expected a {target.array_api} array")
    if target.array_api == "torch" and result.device.type != _torch_device_type(target.device):
        _wrong_result(op, f"{op} returned a tensor on {result.device}, expected one on {target.device}")
    array = target.to_numpy(result)
    observed = dtype_name(array)
    RECORD["dtype"] = observed
    if shape is not None and tuple(array.shape) != tuple(shape):
        _wrong_result(op, f"{op} returned shape {tuple(array.shape)}, expected {tuple(shape)}")
    if dtype == "integer":
        if array.dtype.kind not in "iu":
            _wrong_result(op, f"{op} returned dtype {observed}, expected an integer dtype")
        return array.astype(np.int64)
    if dtype is not None and observed != dtype:
        _wrong_result(op, f"{op} returned dtype {observed}, expected {dtype} (the input's dtype)")
    if array.dtype.kind != "f" and observed != "bfloat16":
        _wrong_result(op, f"{op} returned dtype {observed}, expected a floating dtype")
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
    # A NaN or an infinity in the result is named up front: the worst entry shown is only one of them.
    counts = {"NaN": int(np.isnan(observed[bad]).sum()), "infinite": int(np.isinf(observed[bad]).sum())}
    nonfinite = [kind for kind, count in counts.items() if count]
    note = f" ({', '.join(f'{counts[kind]} {kind}' for kind in nonfinite)})" if nonfinite else ""
    lines = [
        f"{what}: {int(bad.sum())} of {bad.size} entries outside tolerance{note}; worst at index {tuple(int(i) for i in index)}:",
        f"  observed  {float(observed[index])!r}",
        f"  expected  {float(expected[index])!r}",
        f"  error     {error[index]:.3e}",
        f"  tolerance {tolerance[index]:.3e}  ({how})",
    ]
    if any(op in INFINITE_VALUES for op in RECORD.get("calls", {})):
        nonfinite = [kind for kind in nonfinite if kind == "NaN"]
    if nonfinite:  # no smaller example says more than "it returns NaN": reported at once, unshrunk
        RECORD["misbehaviour"] = f"returned {' and '.join(nonfinite)} values"
    _fail(lines, index, context, observed=float(observed[index]), expected=float(expected[index]),
          failure=OpMisbehaved if nonfinite else ConformanceFailure)


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


def _fail(lines: list[str], index: tuple, context: dict | None, failure=ConformanceFailure, **facts) -> None:
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
    raise failure("\n".join(lines))
