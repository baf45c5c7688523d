"""Falsifiability: the gate itself, run on the zoo of broken targets in ``tests/zoo/``.

Every property (conformance test) must kill at least one zoo member, every zoo member must be killed
by at least one property, and the independent correct target (``tests/independent/``) must pass
everything. One pytest subprocess checks all of them with the ``kill-matrix`` profile (derandomized,
no shrinking: only the verdicts matter here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# Files starting with "_" are shared helpers (tests/zoo/_textbook.py), not zoo members.
ZOO = sorted(str(path.relative_to(TESTS.parent)) for path in (TESTS / "zoo").glob("*.py") if not path.name.startswith("_"))
INDEPENDENT = "tests/independent/complex_rope.py"


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory):
    report = tmp_path_factory.mktemp("zoo") / "report.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "conformance", "--tb=no",
               "--hypothesis-profile=kill-matrix", "--target", ",".join([*ZOO, INDEPENDENT]), "--conformance-report", str(report)]
    run = subprocess.run(command, cwd=TESTS.parent, env=env, capture_output=True, text=True, timeout=1200)
    assert report.exists(), run.stdout + run.stderr
    results = json.loads(report.read_text())["results"]
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
    results, _ = verdicts
    mine = [r for r in results if r["target"] == INDEPENDENT]
    assert mine and {r["status"] for r in mine} == {"pass"}, [r for r in mine if r["status"] != "pass"]


def test_zoo_members_fail_by_verdict_not_by_crash(verdicts):
    """A kill must be a property violation; a zoo member whose op crashes would prove nothing."""
    results, _ = verdicts
    crashed = [(r["target"], r["property"], r["message"]) for r in results if r["status"] == "error"]
    assert not crashed, crashed
