"""The default run's time per test module: ``pytest --durations=0`` summed per module, and the CPU of the gate runs
each self-test module starts in the background (``tests/background.py``).

    python scripts/time_budget.py [pytest arguments]

Prints the run's summary line, its wall time and a Markdown table (the README's performance section,
``docs/performance.md``). Run it on a quiet machine: the figures move with the load.
"""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import background

#: The module that starts the background runs whose logs are in a temporary folder with this prefix.
OWNERS = {"gate-": "tests/meta/test_gate.py", "kill-matrix-": "tests/meta/test_zoo.py",
          "misbehaving-": "tests/meta/test_misbehaving.py", "tutorial-": "tests/meta/test_tutorial.py"}


def main() -> int:
    cpu_log = Path(tempfile.mkdtemp(prefix="time-budget-")) / "background.jsonl"
    env = {**os.environ, background.CPU_LOG: str(cpu_log)}
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=0", *sys.argv[1:]],
                         check=False, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    time.sleep(1)  # the server writes a run's record after reaping it
    in_process: collections.Counter = collections.Counter()
    for line in run.stdout.splitlines():
        if found := re.match(r"([0-9.]+)s (?:call|setup|teardown)\s+(\S+?)::", line):
            in_process[found[2]] += float(found[1])
    cpu: collections.Counter = collections.Counter()
    runs: collections.Counter = collections.Counter()
    for line in cpu_log.read_text().splitlines() if cpu_log.exists() else ():
        record = json.loads(line)
        folder = Path(record["log"]).parent.name
        owner = next((module for prefix, module in OWNERS.items() if folder.startswith(prefix)), folder)
        cpu[owner] += record["cpu"]
        runs[owner] += 1
    print(run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr)
    print(f"wall {wall:.1f} s; in-process tests {sum(in_process.values()):.1f} s; background runs {sum(runs.values())}, "
          f"{sum(cpu.values()):.1f} s of CPU\n")
    print("| module | in-process s | background runs | their CPU s |\n|---|---|---|---|")
    for module in sorted(set(in_process) | set(cpu), key=lambda m: -(in_process[m] + cpu[m])):
        background_part = f"{runs[module]} | {cpu[module]:.1f}" if runs[module] else "| "
        print(f"| `{module}` | {in_process[module]:.1f} | {background_part} |")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
