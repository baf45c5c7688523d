"""Falsifiability: the gate itself, run on the zoo of broken targets in ``tests/zoo/``.

Every property (conformance test) must kill at least one zoo member, every zoo member must be killed
by at least one property, and the independent correct targets (``tests/independent/``) must pass:
``complex_rope`` everything (plain RoPE only: its scalers are "not provided"), ``hf_rope_parameters``
(Hugging Face's vocabulary, no declarations) every scaler and attention-scale property. Every failing
numeric record carries a diagnosis, and a member's ``PLANTED`` hypothesis is the one diagnosed.
Three pytest subprocesses check them with the ``kill-matrix`` profile (derandomized, no shrinking:
only the verdicts matter) in float64 (no zoo bug depends on the dtype; the Hugging Face target, whose
angles are float32, in float32). By default each member runs only the properties the committed
``docs/kill-matrix.json`` records as killing it (every recorded kill must still happen); the thorough
profile and ``scripts/kill_matrix.py`` run the full cross product.
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest

from spec.targets import load_target
from tests import background

TESTS = Path(__file__).resolve().parents[1]
# Files starting with "_" are shared helpers (tests/zoo/_textbook.py), not zoo members.
ZOO = sorted(str(path.relative_to(TESTS.parent)) for path in (TESTS / "zoo").glob("*.py") if not path.name.startswith("_"))
INDEPENDENT = "tests/independent/complex_rope.py"
HUGGING_FACE = "tests/independent/hf_rope_parameters.py"
KILL_MATRIX = TESTS.parent / "docs" / "kill-matrix.json"


def _gate(targets: list[str], paths: list[str], report: Path, dtype: str = "float64", *options: str,
          preload=()) -> background.Run:
    """Start the gate on ``targets``; its output goes to a file beside the report."""
    arguments = ["-q", "-p", "no:cacheprovider", "-m", "conformance", "--tb=no", "--hypothesis-profile=kill-matrix",
                 "--dtype", dtype, "--target", ",".join(targets), "--conformance-report", str(report), *options, *paths]
    return background.pytest(arguments, report.with_suffix(".log"), preload=preload)


_RUNS: list[tuple[background.Run, Path]] = []


def start_in_background(config=None, *, full: bool | None = None) -> None:
    """Start the gate runs (conftest.py calls this as soon as a zoo test is selected, so they overlap the rest
    of the suite). The scaler members need only the scaler properties (each of its own scaler: its ROPE_TYPES),
    the others (plain RoPE, like the independent target) none of them; the Hugging Face target needs the scaler
    and attention-scale properties (its plain RoPE is the independent complex-number target's job).

    What the default run must show is that every recorded kill still happens: each member runs only the properties
    the committed kill matrix says kill it (``--only-kills``; a fourth of the cross product). The full cross product
    — which also finds kills not yet recorded — runs in the thorough profile and in ``scripts/kill_matrix.py``."""
    if _RUNS:
        return
    if full is None:
        full = config is not None and config.getoption("--hypothesis-profile", None) == "thorough"
    folder = Path(tempfile.mkdtemp(prefix="kill-matrix-"))
    scalers = [member for member in ZOO if Path(member).name.startswith("scaling_")]
    others = [member for member in ZOO if member not in scalers]
    # Only verdicts matter there: what is settled as not provided at collection is left out (--verdicts-only).
    recorded = () if full or not KILL_MATRIX.exists() else (f"--only-kills={KILL_MATRIX}",)
    _RUNS.append((_gate([*others, INDEPENDENT], ["--ignore=tests/test_scaling.py"], folder / "all.json", "float64",
                        "--verdicts-only", *recorded), folder / "all.json"))
    _RUNS.append((_gate(scalers, ["tests/test_scaling.py"], folder / "scaling.json", "float64", "--verdicts-only",
                        *recorded), folder / "scaling.json"))
    _RUNS.append((_gate([HUGGING_FACE], ["tests/test_scaling.py", "tests/test_attention_scale.py"],
                        folder / "hf.json", dtype="float32", preload=("transformers",)),
                  folder / "hf.json"))


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


def kill_matrix(results: list[dict]) -> dict[str, list[str]]:
    """Property → the zoo members it kills (names without folder), from the records of the zoo runs."""
    matrix: dict[str, set[str]] = defaultdict(set)
    for record in results:
        if record["status"] == "fail" and record["target"] in ZOO:
            matrix[record["property"]].add(Path(record["target"]).stem)
    return {prop: sorted(members) for prop, members in sorted(matrix.items())}


def test_committed_kill_matrix_is_current(verdicts):
    """docs/kill-matrix.json (shown under each derivation by ``python -m proofs``) is what these runs find: every
    recorded kill happens (by default only those run), and in the full cross product nothing else does."""
    results, _ = verdicts
    committed = json.loads(KILL_MATRIX.read_text()) if KILL_MATRIX.exists() else None
    assert committed == kill_matrix(results), "docs/kill-matrix.json is out of date: run python scripts/kill_matrix.py"


def test_zoo_is_large_enough():
    assert len(ZOO) >= 15


def test_every_zoo_member_is_killed(verdicts):
    _, killed = verdicts
    survivors = [member for member in ZOO if member not in killed]
    assert not survivors, f"zoo members no property kills: {survivors}"


def test_every_property_kills_a_zoo_member(verdicts):
    """Every property the gate ran on the independent targets (together they offer every op and every rope_type
    of Hugging Face's vocabulary) kills someone."""
    results, killed = verdicts
    properties = {r["property"] for r in results if r["target"] in (INDEPENDENT, HUGGING_FACE) and r["status"] == "pass"}
    killers = set().union(*killed.values())
    idle = properties - killers
    assert not idle, f"properties that kill no zoo member: {sorted(idle)}"


def test_independent_correct_target_passes_everything(verdicts):
    """It implements plain RoPE only (so the scaler properties are not run on it, and the one attention-scale property
    that needs YaRN's attention factor is not provided); everything else passes."""
    results, _ = verdicts
    mine = [r for r in results if r["target"] == INDEPENDENT]
    failed = [r for r in mine if r["status"] not in ("pass", "not provided")]
    skipped = {r["property"] for r in mine if r["status"] == "not provided"}
    assert mine and not failed and skipped <= {"test_deepseek_score_temperature"}, (failed, skipped)


def test_hugging_face_vocabulary_target_passes_every_property(verdicts):
    """A correct target that knows only Hugging Face's vocabulary and declares no extension passes every RoPE
    and scaler property; the extensions' properties are "not provided" for it, never failed."""
    results, _ = verdicts
    mine = [r for r in results if r["target"] == HUGGING_FACE]
    assert {r["status"] for r in mine} == {"pass", "not provided"}, [r for r in mine if r["status"] not in ("pass", "not provided")]
    skipped = {r["property"] for r in mine if r["status"] == "not provided"}
    assert {"test_ntk_keeps_highest_and_interpolates_lowest_frequency", "test_seed_maps_boundaries"} <= skipped, skipped
    assert any(r["op"] == "rope_apply" and r["status"] == "pass" for r in mine) and any(
        r["property"] == "test_absent_keys_take_their_defaults" and r["status"] == "pass" for r in mine)


def _numeric_failures(results: list[dict]) -> list[dict]:
    """Failing records of an op with a diagnoser whose failure is about values (not a misbehaviour — NaN, a wrong
    shape, an input written into — nor a bad input accepted)."""
    from tests.diagnosis import DIAGNOSERS

    return [r for r in results if r["status"] == "fail" and r["op"] in DIAGNOSERS and not r.get("misbehaviour")
            and r["family"] != "validation"]


def test_every_failing_numeric_record_has_a_diagnosis(verdicts):
    results, _ = verdicts
    undiagnosed = [(r["target"], r["property"]) for r in _numeric_failures(results) if not (r.get("diagnosis") or {}).get("text")]
    assert not undiagnosed, undiagnosed


def planted(member: str) -> str | None:
    """The diagnosis hypothesis a zoo member's bug is (its ``PLANTED``), None where no hypothesis describes it."""
    return load_target(member).module.PLANTED


def test_diagnosis_names_the_planted_bug(verdicts):
    """For every member whose bug a diagnosis hypothesis describes, some failing record is diagnosed as exactly
    that hypothesis, or names it among the ones that explain the output equally (the README counts them)."""
    results, _ = verdicts
    diagnosed = defaultdict(set)
    for r in _numeric_failures(results):
        found = r.get("diagnosis") or {}
        diagnosed[r["target"]].update([found.get("hypothesis"), *found.get("also", [])])
    missed = {member: (planted(member), sorted(map(str, diagnosed[member]))) for member in ZOO
              if planted(member) and planted(member) not in diagnosed[member]}
    assert not missed, missed


def test_zoo_members_fail_by_verdict_not_by_crash(verdicts):
    """A kill must be a property violation; a zoo member whose op crashes would prove nothing."""
    results, _ = verdicts
    crashed = [(r["target"], r["property"], r["message"]) for r in results if r["status"] == "error"]
    assert not crashed, crashed
