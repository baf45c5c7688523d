"""The gate never lies and never crashes: targets that misbehave instead of computing wrong values.

Each member of ``tests/misbehaving/`` breaks one op one way (raises, exits, NaN, inf, wrong shape, dtype
or array type, a list, writes into its input, never returns) or fails to import. The gate must report
the broken op with the reason, still check (and pass) the member's other ops, and exit 1 — never crash
(exit 2, 3, 4) nor hang. One pytest subprocess checks them all, on the ``oracle`` and ``golden`` properties,
with a 2 s op time limit; it starts in the background at collection, like the zoo's runs.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from tests import background

ROOT = Path(__file__).resolve().parents[2]
OP_TIMEOUT = 2

#: member: (the op it breaks, the status the gate must give it, a substring of the reason)
EXPECTED = {
    "raises": ("rope_apply", "error", "RuntimeError: fused rotary kernel failed"),
    "exits": ("alibi_slopes", "error", "SystemExit: 3"),
    "returns_nan": ("sinusoidal", "fail", "NaN"),
    "returns_inf": ("rope_apply", "fail", "infinite"),
    "nan_where_provided": ("rope_apply", "fail", "NaN"),
    "wrong_shape": ("rope_apply", "fail", "returned shape"),
    "wrong_dtype": ("rope_apply", "fail", "returned dtype float32, expected float64"),
    "wrong_array_type": ("rope_apply", "fail", "returned ndarray, expected a torch array"),
    "returns_list": ("t5_bucket", "fail", "returned list, expected a numpy array"),
    "modifies_input": ("rope_apply", "fail", "modified its input `x` in place"),
    "loops_forever": ("rope_apply", "fail", f"timed out after {OP_TIMEOUT} s"),
    "sleeps_forever": ("t5_bucket", "fail", f"timed out after {OP_TIMEOUT} s"),
    "import_fails": (None, "unavailable", "OSError: libfused_rope.so"),
}
#: member: (the status every op must get, a substring of each op's reason) — each reported as a misbehaviour.
EVERY_OP = {
    "every_op_raises": ("error", "raised TypeError"),
    "every_op_returns_nan": ("fail", "returned"),
}
# Files starting with "_" are shared helpers (tests/misbehaving/_reference.py), not members.
MEMBERS = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "tests" / "misbehaving").glob("*.py")
                 if not path.name.startswith("_"))

_RUN: list[tuple[background.Run, Path]] = []


def start_in_background(config=None) -> None:
    """Start the gate on every member (conftest.py calls this when a test of this module is selected)."""
    if _RUN:
        return
    report = Path(tempfile.mkdtemp(prefix="misbehaving-")) / "report.json"
    env = background.clean_environment(CONFORMANCE_OP_TIMEOUT=str(OP_TIMEOUT))
    arguments = ["-q", "-p", "no:cacheprovider", "-m", "conformance", "--tb=no",
               "--hypothesis-profile=kill-matrix", "--dtype", "float64", "--target", ",".join(MEMBERS),
               "--conformance-report", str(report), "-k", "oracle or golden",
               "tests/test_rope.py", "tests/test_sinusoidal.py", "tests/test_alibi.py", "tests/test_t5.py"]
    _RUN.append((background.pytest(arguments, report.with_suffix(".log"), env), report))


@pytest.fixture(scope="module")
def gate():
    """(exit status and report, records by member name, log) of the gate run on every member."""
    start_in_background()
    run, report = _RUN[0]
    run.wait(timeout=600)
    log = report.with_suffix(".log").read_text()
    assert report.exists(), log
    payload = json.loads(report.read_text())
    records = {}
    for record in payload["results"]:
        records.setdefault(Path(record["target"]).stem, []).append(record)
    return (run.returncode, payload), records, log


def test_every_member_has_an_expectation():
    assert sorted(Path(member).stem for member in MEMBERS) == sorted({**EXPECTED, **EVERY_OP})


def test_gate_exits_1_not_crashing(gate):
    (code, payload), _, log = gate
    assert code == 1 and payload["exit_status"] == 1 and payload["complete"], log[-3000:]


@pytest.mark.parametrize("member", sorted(EXPECTED))
def test_broken_op_reported_with_reason_other_ops_pass(gate, member):
    _, records, _ = gate
    op, status, reason = EXPECTED[member]
    mine = records[member]
    broken = [r for r in mine if r["op"] == op] if op else mine
    others = [r for r in mine if r["op"] != op] if op else []
    assert any(r["status"] == status and reason in r["message"] for r in broken), broken
    # Never a pass for the broken op: each record is the verdict, or an error saying why it was not checked.
    assert {r["status"] for r in broken} <= {status, "error"}, broken
    if op:
        assert others and {r["status"] for r in others} == {"pass"}, [r for r in others if r["status"] != "pass"]
    else:  # unavailable: reported for every op the run checks, dtype-parametrized properties included
        assert {r["op"] for r in mine} == {r["op"] for member_records in records.values() for r in member_records}


@pytest.mark.parametrize("member", ["loops_forever", "sleeps_forever"])
def test_op_that_timed_out_is_not_called_again(gate, member):
    """One call waits out the limit; the op's later properties are errors saying so, at once."""
    _, records, _ = gate
    op = EXPECTED[member][0]
    timed_out = [r for r in records[member] if "timed out after" in r["message"] and "not called" not in r["message"]]
    not_called = [r for r in records[member] if r["op"] == op and r not in timed_out]
    assert len(timed_out) == 1, records[member]
    assert all(r["status"] == "error" and f"{op} not called: it timed out" in r["message"] for r in not_called), not_called


@pytest.mark.parametrize("member", sorted(EVERY_OP))
def test_every_op_reported_as_a_misbehaviour(gate, member):
    """Each op of a target that raises (or returns NaN) everywhere gets its verdict with the reason, as a
    misbehaviour: reported at the first example, never shrunk (scripts/broken_targets.py times a full gate run)."""
    _, records, _ = gate
    status, reason = EVERY_OP[member]
    mine = records[member]
    assert {r["op"] for r in mine} == {r["op"] for member_records in records.values() for r in member_records}
    assert all(r["status"] == status and r["misbehaviour"] and reason in r["misbehaviour"] for r in mine), mine
