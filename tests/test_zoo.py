"""Falsifiability: the gate itself, run on the zoo of broken targets in ``tests/zoo/``.

Every property (conformance test) must kill at least one zoo member, every zoo member must be killed
by at least one property, and the independent correct target (``tests/independent/``) must pass
everything (plain RoPE only: its scalers are "not provided"). Two pytest subprocesses, side by side,
check them with the ``kill-matrix`` profile (derandomized, no shrinking: only the verdicts matter) in
float64 (no zoo bug depends on the dtype).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from spec.rope_parameters import ROPE_TYPES

TESTS = Path(__file__).resolve().parent
# Files starting with "_" are shared helpers (tests/zoo/_textbook.py), not zoo members.
ZOO = sorted(str(path.relative_to(TESTS.parent)) for path in (TESTS / "zoo").glob("*.py") if not path.name.startswith("_"))
INDEPENDENT = "tests/independent/complex_rope.py"


def _gate(targets: list[str], paths: list[str], report: Path) -> subprocess.Popen:
    """Start the gate on ``targets``; its output goes to a file beside the report (a pipe could fill up)."""
    # A clean pytest environment; bytecode caching on, so the subprocesses share compiled modules.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST") and k != "PYTHONDONTWRITEBYTECODE"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "conformance", "--tb=no",
               "--hypothesis-profile=kill-matrix", "--dtype", "float64", "--target", ",".join(targets),
               "--conformance-report", str(report), *paths]
    with open(report.with_suffix(".log"), "w") as log:
        return subprocess.Popen(command, cwd=TESTS.parent, env=env, stdout=log, stderr=subprocess.STDOUT)


_RUNS: list[tuple[subprocess.Popen, Path]] = []


def _own_rope_types(scalers: list[str]) -> str:
    """A ``-k`` expression running each scaler member only on its own rope_type's properties (its name,
    ``scaling_<rope_type>_<bug>``, says which); a member named for no rope_type runs them all."""
    clauses = []
    for member in scalers:
        stem = Path(member).stem
        kinds = [t for t in ROPE_TYPES if stem.startswith(f"scaling_{t}_")]
        clauses.append(f"({stem} and {kinds[0]})" if kinds else stem)
    return " or ".join(clauses)


def start_in_background(config=None) -> None:
    """Start the two gate runs (one per core; conftest.py calls this as soon as a zoo test is selected,
    so they overlap the rest of the suite). The scaler members need only the scaler properties, the
    others (plain RoPE, like the independent target) none of them."""
    if _RUNS:
        return
    folder = Path(tempfile.mkdtemp(prefix="kill-matrix-"))
    scalers = [member for member in ZOO if Path(member).name.startswith("scaling_")]
    others = [member for member in ZOO if member not in scalers]
    _RUNS.append((_gate([*others, INDEPENDENT], ["--ignore=tests/test_scaling.py"], folder / "all.json"), folder / "all.json"))
    _RUNS.append((_gate(scalers, ["tests/test_scaling.py", "-k", _own_rope_types(scalers)], folder / "scaling.json"),
                  folder / "scaling.json"))


@pytest.fixture(scope="module")
def verdicts():
    start_in_background()
    results = []
    for run, report in _RUNS:
        run.wait(timeout=1200)
        assert report.exists(), report.with_suffix(".log").read_text()
        results += json.loads(report.read_text())["results"]
    killed = {}
    for record in results:
        if record["status"] == "fail":
            killed.setdefault(record["target"], set()).add(record["property"])
    return results, killed


def test_zoo_is_large_enough():
    assert len(ZOO) >= 15


def test_every_zoo_member_is_killed(verdicts):
    _, killed = verdicts
    survivors = [member for member in ZOO if member not in killed]
    assert not survivors, f"zoo members no property kills: {survivors}"


def test_every_property_kills_a_zoo_member(verdicts):
    """Every property the gate ran (on the independent target, which offers every op) kills someone."""
    results, killed = verdicts
    properties = {r["property"] for r in results if r["target"] == INDEPENDENT}
    killers = set().union(*killed.values())
    idle = properties - killers
    assert not idle, f"properties that kill no zoo member: {sorted(idle)}"


def test_independent_correct_target_passes_everything(verdicts):
    """It implements plain RoPE only (so the scaler properties are not run on it); everything else passes."""
    results, _ = verdicts
    mine = [r for r in results if r["target"] == INDEPENDENT]
    assert mine and {r["status"] for r in mine} == {"pass"}, [r for r in mine if r["status"] != "pass"]


def test_zoo_members_fail_by_verdict_not_by_crash(verdicts):
    """A kill must be a property violation; a zoo member whose op crashes would prove nothing."""
    results, _ = verdicts
    crashed = [(r["target"], r["property"], r["message"]) for r in results if r["status"] == "error"]
    assert not crashed, crashed
