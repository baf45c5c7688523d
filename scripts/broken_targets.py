"""How fast the gate answers for a target that misbehaves everywhere.

    python scripts/broken_targets.py [--runs 3]

Runs ``pytest -m conformance --target T --conformance-report …`` (the whole gate, default profile) on
``tests/misbehaving/every_op_raises.py`` and ``tests/misbehaving/every_op_returns_nan.py``, and prints,
per target, the wall time of each run (the median too), the exit status, whether the report was written
and complete, and the gate's one line per misbehaving op. The issue's requirement: exit 1 and a report
within 30 s on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("tests/misbehaving/every_op_raises.py", "tests/misbehaving/every_op_returns_nan.py")


def run(target: str, report: Path) -> tuple[float, int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "conformance", "--target", target,
               "--conformance-report", str(report)]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, done.returncode, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    worst = 0.0
    for target in TARGETS:
        times = []
        for _ in range(args.runs):
            report = Path(tempfile.mkdtemp(prefix="broken-")) / "report.json"
            seconds, code, output = run(target, report)
            times.append(seconds)
            payload = json.loads(report.read_text()) if report.exists() else None
        worst = max(worst, max(times))
        shown = ", ".join(f"{t:.1f}" for t in times)
        print(f"{target}: {shown} s (median {statistics.median(times):.1f} s); exit {code}; "
              f"report {'written, complete' if payload and payload['complete'] else 'MISSING or partial'}; "
              f"{len(payload['results']) if payload else 0} records")
        lines = output.splitlines()
        if "misbehaving ops (reported at the first example, not shrunk):" in lines:
            start = lines.index("misbehaving ops (reported at the first example, not shrunk):") + 1
            for line in lines[start:]:
                if not line.startswith("  "):
                    break
                print("  " + line.strip().split("  [")[0])
    print(f"slowest run: {worst:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
