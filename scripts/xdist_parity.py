"""pytest-xdist gives the same verdicts as a serial run.

    python scripts/xdist_parity.py [--targets numpy,torch] [--workers auto]

Runs the gate twice in the derandomized ``ci`` profile — serially and with ``-n WORKERS`` — each
writing a JSON report, and compares the verdict of every (target, op, property, dtype). Prints the
wall time of both runs and every difference; exits 1 if there is any. (Under xdist each worker
collects the whole suite; records travel to the controller on the test reports, see conftest.py.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def verdicts(report: Path) -> dict[tuple, str]:
    payload = json.loads(report.read_text())
    keys = ("target", "op", "property", "dtype")
    found: dict[tuple, list[str]] = {}
    for record in payload["results"]:
        found.setdefault(tuple(record[k] for k in keys), []).append(record["status"])
    # A property parametrized beyond (target, dtype) — layout, rope_type — gives several records.
    return {key: ",".join(sorted(statuses)) for key, statuses in found.items()}


def run(targets: str, report: Path, extra: list[str]) -> float:
    env = {**os.environ, "CI": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "conformance", "--tb=no",
               "--target", targets, "--conformance-report", str(report), *extra]
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="numpy,torch")
    parser.add_argument("--workers", default="auto")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="xdist-parity-"))
    serial_time = run(args.targets, folder / "serial.json", [])
    parallel_time = run(args.targets, folder / "xdist.json", ["-n", args.workers])
    serial, parallel = verdicts(folder / "serial.json"), verdicts(folder / "xdist.json")
    differing = sorted(key for key in serial.keys() | parallel.keys() if serial.get(key) != parallel.get(key))
    print(f"serial: {len(serial)} verdicts in {serial_time:.1f} s; -n {args.workers}: {len(parallel)} verdicts "
          f"in {parallel_time:.1f} s; differing: {len(differing)}")
    for key in differing:
        print(f"  {key}: serial {serial.get(key)!r}, xdist {parallel.get(key)!r}")
    return 1 if differing or not serial else 0


if __name__ == "__main__":
    raise SystemExit(main())
