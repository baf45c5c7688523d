"""Misbehaves: every op returns NaN (a kernel reading uninitialised memory), with the right shape and dtype.

t5_bucket returns integers, which cannot be NaN: it returns float NaN instead (a wrong dtype). Expected: every
op "fail" at its first example (never shrunk); ``pytest -m conformance --target`` this file ends in seconds
(scripts/broken_targets.py).
"""

import numpy as np

from impl.numpy_ref import DTYPES  # noqa: F401 — a declaration: checked in every dtype
from tests.misbehaving import _reference


def _nan_like(result):
    integer = np.asarray(result).dtype.kind in "iu"
    return np.full(np.shape(result), np.nan, dtype=np.float64 if integer else result.dtype)


def sinusoidal(*args, **kwargs):
    return _nan_like(_reference.sinusoidal(*args, **kwargs))


def rope_frequencies(*args, **kwargs):
    inv_freq, _ = _reference.rope_frequencies(*args, **kwargs)
    return _nan_like(inv_freq), float("nan")


def rope_apply(*args, **kwargs):
    return _nan_like(_reference.rope_apply(*args, **kwargs))


def alibi_slopes(*args, **kwargs):
    return _nan_like(_reference.alibi_slopes(*args, **kwargs))


def alibi_bias(*args, **kwargs):
    return _nan_like(_reference.alibi_bias(*args, **kwargs))


def t5_bucket(*args, **kwargs):
    return _nan_like(_reference.t5_bucket(*args, **kwargs))


def learned_absolute(*args, **kwargs):
    return _nan_like(_reference.learned_absolute(*args, **kwargs))
