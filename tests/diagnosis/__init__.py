"""What a failing target computes instead: hypotheses tested against the target's own outputs.

When a numeric property of an op fails, the gate (conftest.py) calls :func:`diagnose` with the
arguments of that op's last call — the failing case. The op's diagnoser calls the target again on
probes built from that configuration and tests a family of hypotheses (the other layout, the
opposite rotation, positions offset by k, another base, the map of another rope_type or other key
values, angles or cos/sin in a lower precision, ...): each predicts the target's whole output and is
compared within a tolerance from ``spec.error_model``. The first hypothesis that explains every
probe is the diagnosis. A precision hypothesis ("float32 angles") is a *precision limit*, everything
else a *semantic error*; when the target matches the oracle on the probes, or no hypothesis explains
its output, the diagnosis says so ("unexplained").

A diagnoser is ``(target, dtype, arguments) -> Diagnosis`` where ``arguments`` maps the protocol's
parameter names (``spec.protocol``) to the values of the failing call: arrays as NumPy arrays in the
dtype they were passed in (bfloat16 through ml_dtypes), everything else as passed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np

SEMANTIC = "semantic error"
PRECISION = "precision limit"
UNEXPLAINED = "unexplained"
MATCHES_ORACLE = ("matches the oracle on the diagnosis probes for this configuration: "
                  "the failure depends on the drawn case (see the counterexample)")


@dataclass(frozen=True)
class Diagnosis:
    """``verdict`` (SEMANTIC, PRECISION or UNEXPLAINED), the hypothesis id that explains the output
    (``""`` when unexplained), one readable sentence saying what the target computes, and the ids of
    other hypotheses that explain the same output equally well (``also``: some bugs are the same
    function — YaRN's ramp inverted and its betas swapped, without truncation)."""

    verdict: str
    hypothesis: str
    text: str
    also: tuple[str, ...] = ()

    def as_record(self) -> dict:
        return {"verdict": self.verdict, "hypothesis": self.hypothesis, "text": self.text, "also": list(self.also)}


#: op -> "module:function" of its diagnoser (imported on first use).
DIAGNOSERS = {
    "rope_apply": "tests.diagnosis.rope:diagnose_rope_apply",
    "rope_frequencies": "tests.diagnosis.rope:diagnose_rope_frequencies",
    "sinusoidal": "tests.diagnosis.tables:diagnose_sinusoidal",
    "alibi_slopes": "tests.diagnosis.tables:diagnose_alibi_slopes",
    "alibi_bias": "tests.diagnosis.tables:diagnose_alibi_bias",
    "t5_bucket": "tests.diagnosis.tables:diagnose_t5_bucket",
}


def diagnose(target, op: str, dtype: str, arguments: dict) -> Diagnosis | None:
    """The diagnosis of a failing numeric property of ``op`` (None for an op without a diagnoser)."""
    where = DIAGNOSERS.get(op)
    if where is None:
        return None
    module, function = where.split(":")
    try:
        return getattr(importlib.import_module(module), function)(target, dtype, arguments)
    except Exception as error:  # noqa: BLE001 — a diagnosis must never turn a verdict into a crash
        return Diagnosis(UNEXPLAINED, "", f"no diagnosis: the diagnoser raised {type(error).__name__}: {error}")


def probe(target, op: str, *args, **kwargs) -> np.ndarray | None:
    """The target's ``op`` on native inputs, as a float64 (integer ops: int64) NumPy array, or None when
    it raises or returns something that is not one array (the property's message already says so)."""
    from tests.checks import _time_limit

    try:
        with _time_limit():
            result = target.op(op)(*args, **kwargs)
        array = target.to_numpy(result)
        return np.asarray(array).astype(np.int64 if np.asarray(array).dtype.kind in "iu" else np.float64)
    except BaseException as error:  # noqa: BLE001 — includes SystemExit and the time limit's own exception
        if isinstance(error, KeyboardInterrupt):
            raise
        return None
