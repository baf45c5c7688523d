"""Are the gate's verdicts independent of the random seed? Run it N times and compare.

    python scripts/determinism.py                        # 20 runs on numpy,torch
    python scripts/determinism.py --runs 5 --jobs 2 --targets numpy,torch,transformers -- -k rope

Each run is ``pytest -m conformance`` in the ``dev`` profile with a fresh ``--hypothesis-seed`` and its
own empty Hypothesis example database, so that no run replays another's (or an earlier session's)
failing examples: each verdict depends on its seed alone. Each writes a JSON report; the verdicts per
(target, op, property, dtype) — the statuses of all its parametrizations, e.g. both RoPE layouts — are
compared across runs. Prints the number of differing verdicts and, for each, the seeds that gave each
outcome and a line reproducing the odd one out. Exit status 1 if any verdict differs or a run did not
finish (a crash, exit status other than 0 or 1); arguments after ``--`` go to pytest.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent


#: pytest with the Hypothesis home (where the example database lives) moved to argv[1].
PYTEST_IN_OWN_HOME = ("import sys; from hypothesis.configuration import set_hypothesis_home_dir; "
                      "set_hypothesis_home_dir(sys.argv[1]); import pytest; sys.exit(pytest.main(sys.argv[2:]))")


def run_gate(seed: int, targets: str, folder: Path, pytest_args: list[str]) -> dict:
    """One gate run with ``folder`` as its Hypothesis home; returns seed, exit status, wall time, report."""
    folder.mkdir(parents=True)
    report = folder / "report.json"
    command = [sys.executable, "-c", PYTEST_IN_OWN_HOME, str(folder / ".hypothesis"), "-q", "--tb=no", "-p", "no:cacheprovider",
               "-m", "conformance", "--hypothesis-profile=dev", f"--hypothesis-seed={seed}", "--target", targets,
               "--conformance-report", str(report), *pytest_args]
    start = time.monotonic()
    with open(folder / "pytest.log", "w") as log:
        code = subprocess.run(command, check=False, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT).returncode
    payload = json.loads(report.read_text()) if report.exists() else {}
    return {"seed": seed, "code": code, "seconds": time.monotonic() - start, "folder": folder,
            "complete": code in (0, 1) and payload.get("complete", False), "results": payload.get("results", [])}


def verdicts(results: list[dict]) -> dict[tuple, tuple]:
    """(target, op, property, dtype) -> the sorted statuses of its records (one per parametrization)."""
    statuses = defaultdict(list)
    for record in results:
        statuses[(record["target"], record["op"], record["property"], record["dtype"])].append(record["status"])
    return {key: tuple(sorted(value)) for key, value in statuses.items()}


def reproduce_line(key: tuple, run: dict) -> str:
    """The report's own reproduction line for a failing record of ``key`` in ``run``, else a pytest line for it."""
    for record in run["results"]:
        if (record["target"], record["op"], record["property"], record["dtype"]) == key and record.get("reproduce"):
            return record["reproduce"]
    target, _, prop, dtype = key
    dtype_option = f" --dtype {dtype}" if dtype and dtype != "-" else ""
    return (f"pytest -m conformance --target {shlex.quote(target)}{dtype_option} -k {prop} "
            f"--hypothesis-profile=dev --hypothesis-seed={run['seed']}")


def compare(runs: list[dict]) -> list[str]:
    """One paragraph per (target, op, property, dtype) whose verdict is not the same in every run."""
    per_run = [verdicts(run["results"]) for run in runs]
    lines = []
    for key in sorted(set().union(*per_run)):
        outcomes = defaultdict(list)  # verdict -> the runs that gave it
        for run, found in zip(runs, per_run):
            outcomes[found.get(key, ("missing",))].append(run)
        if len(outcomes) == 1:
            continue
        target, op, prop, dtype = key
        lines.append(f"{op} · {prop} ({target}, {dtype or '-'}):")
        usual = max(outcomes, key=lambda verdict: len(outcomes[verdict]))
        for verdict, which in sorted(outcomes.items(), key=lambda item: -len(item[1])):
            seeds = ", ".join(str(run["seed"]) for run in which)
            lines.append(f"  {'/'.join(verdict)} in {len(which)} run(s): seeds {seeds}")
            if verdict != usual:
                lines.append(f"    reproduce: {reproduce_line(key, which[0])}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="number of gate runs (default 20)")
    parser.add_argument("--targets", default="numpy,torch", help="comma-separated targets (default numpy,torch)")
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (default 1)")
    parser.add_argument("--out", type=Path, help="folder for each run's report and log (default: a new temporary one)")
    parser.add_argument("pytest_args", nargs="*", help="after --: more pytest arguments (paths, -k, --dtype, ...)")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="determinism-"))
    seeds = [secrets.randbits(32) for _ in range(args.runs)]
    print(f"{args.runs} gate runs on {args.targets}, {args.jobs} at a time; reports and logs in {out}", flush=True)

    def one(index_seed):
        index, seed = index_seed
        run = run_gate(seed, args.targets, out / f"run-{index:03d}-seed-{seed}", args.pytest_args)
        print(f"  run {index + 1}/{args.runs} seed {seed}: exit {run['code']}, {run['seconds']:.1f} s, "
              f"{len(run['results'])} records {dict(Counter(r['status'] for r in run['results']))}", flush=True)
        return run

    with ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        runs = list(pool.map(one, enumerate(seeds)))
    seconds = sorted(run["seconds"] for run in runs)
    print(f"time per run: {seconds[0]:.1f}–{seconds[-1]:.1f} s (median {median(seconds):.1f} s)")
    broken = [run for run in runs if not run["complete"]]
    for run in broken:
        print(f"run with seed {run['seed']} did not finish (exit {run['code']}): see {run['folder'] / 'pytest.log'}")
    finished = [run for run in runs if run["complete"]]
    differing = compare(finished) if finished else []
    count = sum(1 for line in differing if not line.startswith(" "))
    print(f"{count} differing verdicts across {len(finished)} finished runs")
    for line in differing:
        print(line)
    return 1 if count or broken else 0


if __name__ == "__main__":
    sys.exit(main())
