"""``docs/tutorial.md``'s commands, run as written: the planted bug fails the gate as quoted, the fix passes."""

from __future__ import annotations

import re
import shlex
import tempfile
from pathlib import Path

import pytest

from tests import background

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "tutorial.md"
BUGGY = ".venv/bin/pytest 'tests/test_rope.py::test_rope_preserves_norm[my_rope-float64-half]' --target docs/tutorial/my_rope.py"
FIXED = ".venv/bin/pytest tests/test_rope.py -m conformance --target docs/tutorial/my_rope_fixed.py -k half"
#: What the tutorial quotes from the buggy run and every run prints, whatever Hypothesis happens to draw first.
COUNTEREXAMPLE = "tests.checks.ConformanceFailure: ‖f(x,m)‖ vs ‖x‖: "


def _start(command: str) -> background.Run:
    """Run a tutorial command with this interpreter's pytest (``.venv/bin/pytest`` in the tutorial)."""
    log = Path(tempfile.mkdtemp(prefix="tutorial-")) / "output.log"
    return background.pytest(["-p", "no:cacheprovider", *shlex.split(command)[1:]], log)


_STARTED: dict[str, background.Run] = {}


def start_in_background(config=None) -> None:
    """Start both commands (conftest.py calls this at collection, so they overlap the other tests)."""
    for command in (BUGGY, FIXED):
        if command not in _STARTED:
            _STARTED[command] = _start(command)


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[int, str]]:
    """Both commands, side by side: command → (exit status, output)."""
    start_in_background()
    return {command: (run.wait(timeout=300), run.log.read_text()) for command, run in _STARTED.items()}


def test_the_tutorial_shows_these_commands_and_the_counterexample():
    text = TUTORIAL.read_text(encoding="utf-8")
    assert BUGGY in text and FIXED in text
    assert COUNTEREXAMPLE in text


def test_the_planted_bug_fails_with_the_quoted_counterexample(runs):
    status, output = runs[BUGGY]
    assert status == 1, output
    assert COUNTEREXAMPLE in output, output
    assert re.search(r"rope_apply · norm\s+fail\s+⟵ rope\.orthogonal", output), output


def test_the_fix_passes(runs):
    status, output = runs[FIXED]
    assert status == 0, output
    # Exit 0 also means "nothing provided": the properties the bug broke must actually have run and passed.
    for family in ("norm", "relative", "composition", "oracle"):
        assert re.search(rf"rope_apply · {family}\s+pass", output), output


DERIVATIONS = ROOT / "docs" / "tutorial-derivations.md"


def test_the_derivations_tutorial_runs_as_written(capsys):
    """Every Python block of docs/tutorial-derivations.md, in order, in one namespace, as a reader pastes them."""
    blocks = re.findall(r"```python\n(.*?)```", DERIVATIONS.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 5
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(DERIVATIONS), "exec"), namespace)  # noqa: S102 — the project's own documentation
    printed = capsys.readouterr().out
    assert "4532.39" in printed and "0.2857142857" in printed
