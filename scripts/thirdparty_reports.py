"""Regenerate the committed conformance reports of the third-party libraries (docs/conformance/).

    pip install -e ".[thirdparty]"
    python scripts/thirdparty_reports.py [--targets transformers,x-transformers,...]

Runs the gate once per CPU library in the derandomized ``ci`` profile (so the committed reports are
reproducible) and writes ``docs/conformance/<target>.json`` and ``.md``. Prints each run's exit
status, time and verdict counts; a library that is not installed comes out "unavailable".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spec.targets import THIRD_PARTY_CPU


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default=",".join(THIRD_PARTY_CPU))
    parser.add_argument("--output", default=str(ROOT / "docs" / "conformance"))
    args = parser.parse_args()
    env = {**os.environ, "CI": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    worst = 0
    for target in args.targets.split(","):
        report = Path(args.output) / f"{target}.json"
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "conformance", "--tb=no",
             "--target", target, "--conformance-report", str(report)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )
        counts = Counter(r["status"] for r in json.loads(report.read_text())["results"])
        print(f"{target}: exit {done.returncode} in {time.perf_counter() - start:.0f} s; {dict(sorted(counts.items()))}")
        worst = max(worst, done.returncode)
    return 0 if worst <= 1 else worst  # 1 is a verdict (non-conformance), anything else a broken run


if __name__ == "__main__":
    raise SystemExit(main())
