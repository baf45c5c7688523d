"""Write ``docs/kill-matrix.json``: for every property, the zoo members it kills (the zoo meta-test's own runs).

    python scripts/kill_matrix.py

``python -m proofs`` lists them under each derivation; ``tests/meta/test_zoo.py`` fails when the committed file
differs from what its runs find (the kill-matrix profile is derandomized, so the matrix is reproducible).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.meta import test_zoo  # noqa: E402 — after the path insert

OUTPUT = ROOT / "docs" / "kill-matrix.json"


def main() -> int:
    test_zoo.start_in_background(full=True)
    results = []
    for run, report in test_zoo._RUNS:
        run.wait(timeout=1200)
        results += json.loads(report.read_text())["results"]
    OUTPUT.write_text(json.dumps(test_zoo.kill_matrix(results), indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
