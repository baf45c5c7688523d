"""Speed benchmarks of the suite and of the own references (issue 8). Not tests: nothing here asserts a time.

    python -m benchmarks            # every benchmark, one table (see benchmarks/README.md)
    python -m benchmarks --quick    # smaller shapes, fewer repeats
    python -m benchmarks.rope_vs_hf [--quick]   # one module alone (same table format)

Each benchmark module exposes ``run(quick: bool) -> list[Row]``; this package holds what they share: the
row type, the table printer, the environment header and an interleaved best-of-N timer.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
from dataclasses import dataclass

#: The modules ``python -m benchmarks`` runs, in order.
MODULES = ("pair_properties", "rope_vs_hf", "numpy_vs_torch", "gpu_bandwidth")


@dataclass
class Row:
    """One line of the table: ``value`` (a number, or a word such as "skipped") in ``unit``; ``detail`` explains it."""

    benchmark: str
    case: str
    measure: str
    value: float | str
    unit: str = ""
    detail: str = ""


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:  # not on this platform
        return "n/a"


def configure_threads() -> int:
    """torch.set_num_threads(os.cpu_count()) when torch is installed; the thread count in use."""
    cores = os.cpu_count() or 1
    try:
        import torch
    except ImportError:
        return cores
    torch.set_num_threads(cores)
    return torch.get_num_threads()


def code_version() -> str:
    """Which own reference was measured: the SHA-1 (first 12 digits) and time of the files the timings depend on."""
    import hashlib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    parts = []
    for relative in ("impl/reference.py", "impl/scaling.py", "tests/test_rope.py"):
        path = root / relative
        if path.is_file():
            digest = hashlib.sha1(path.read_bytes()).hexdigest()[:12]
            stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime))
            parts.append(f"{relative} {digest} ({stamp})")
    return "; ".join(parts)


def environment() -> list[str]:
    lines = [f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores (os.cpu_count)"]
    import numpy

    versions = [f"numpy {numpy.__version__}"]
    try:
        import torch

        versions.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    except ImportError:
        versions.append("torch not installed")
    try:
        import transformers

        versions.append(f"transformers {transformers.__version__}")
    except ImportError:
        pass
    lines.append(", ".join(versions))
    lines.append(f"measured code: {code_version()}")
    lines.append(f"load average (1, 5, 15 min) at start: {load_average()}")
    return lines


@dataclass
class Timing:
    best: float
    median: float
    calls: int


def interleaved(functions: dict, *, repeat: int, warmup: int = 1, max_seconds: float | None = None) -> dict[str, Timing]:
    """Time each zero-argument function ``repeat`` times, round-robin (a, b, a, b, …) after ``warmup`` calls each.

    Round-robin puts every candidate under the same background load, so their ratio means something on a
    busy machine even when the absolute times do not. Best (min) and median seconds per call; after
    ``max_seconds`` of timed calls the remaining rounds are dropped (at least one round always runs).
    """
    for function in functions.values():
        for _ in range(warmup):
            function()
    times: dict[str, list[float]] = {name: [] for name in functions}
    started = time.perf_counter()
    for round_ in range(repeat):
        for name, function in functions.items():
            gc.collect()
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
        if max_seconds is not None and round_ + 1 < repeat and time.perf_counter() - started > max_seconds:
            break
    return {name: Timing(min(ts), statistics.median(ts), len(ts)) for name, ts in times.items()}


def format_value(value) -> str:
    if isinstance(value, str):
        return value
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e6 or magnitude < 1e-2:
        return f"{value:.3g}"
    if magnitude >= 100:
        return f"{value:,.0f}"
    return f"{value:.3f}"


def print_table(rows: list[Row]) -> None:
    header = ("benchmark", "case", "measure", "value", "unit", "detail")
    cells = [header] + [(r.benchmark, r.case, r.measure, format_value(r.value), r.unit, r.detail) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(5)]
    for index, c in enumerate(cells):
        print("  ".join([c[0].ljust(widths[0]), c[1].ljust(widths[1]), c[2].ljust(widths[2]), c[3].rjust(widths[3]),
                         c[4].ljust(widths[4]), c[5]]).rstrip())
        if index == 0:
            print("  ".join("-" * w for w in widths) + "  " + "-" * 6)


def standalone(run, description: str) -> int:
    """``main()`` of a benchmark module: ``--quick``, the environment, its rows as one table."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="smaller shapes and fewer repeats")
    args = parser.parse_args()
    configure_threads()
    for line in environment():
        print(line)
    started = time.perf_counter()
    rows = run(quick=args.quick)
    print()
    print_table(rows)
    print(f"\nload average at end: {load_average()}; {time.perf_counter() - started:.0f} s")
    return 0
