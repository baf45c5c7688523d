"""Run every benchmark and print one table: ``python -m benchmarks [--quick] [--threads N] [--only NAME ...]``."""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from benchmarks import (
    MODULES,
    Row,
    configure_threads,
    environment,
    load_average,
    print_table,
)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller shapes and fewer repeats (about a minute)")
    parser.add_argument("--threads", type=int, help="torch threads (default: os.cpu_count())")
    parser.add_argument("--only", nargs="+", choices=MODULES, metavar="NAME", help=f"run only these of {', '.join(MODULES)}")
    args = parser.parse_args()
    threads = configure_threads()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
        threads = torch.get_num_threads()
    for line in environment():
        print(line)
    print(f"torch.set_num_threads({threads}); {'quick' if args.quick else 'full'} run", flush=True)
    rows: list[Row] = []
    started = time.perf_counter()
    for name in args.only or MODULES:
        module_started = time.perf_counter()
        print(f"running {name} …", flush=True)
        module = importlib.import_module(f"benchmarks.{name}")
        rows.extend(module.run(quick=args.quick))
        print(f"  {name}: {time.perf_counter() - module_started:.0f} s, load average {load_average()}", flush=True)
    print()
    print_table(rows)
    print(f"\nload average at end: {load_average()}; {time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
