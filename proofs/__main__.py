"""``python -m proofs``: render every derivation step by step as Markdown (see :mod:`proofs.render`).

Writes to stdout, or to ``--output PATH``; ``--check PATH`` exits 1 when PATH differs from a fresh
rendering. Exits 1 without writing anything when a derivation or one of its steps does not verify.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from proofs.render import render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proofs", description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--output", type=Path, metavar="PATH", help="write the Markdown to PATH instead of stdout")
    where.add_argument("--check", type=Path, metavar="PATH", help="exit 1 if PATH differs from a fresh rendering")
    args = parser.parse_args(argv)

    rendering = render()
    if rendering.failures:
        for failure in rendering.failures:
            print(f"not verified: {failure}", file=sys.stderr)
        return 1
    if args.check:
        current = args.check.read_text(encoding="utf-8") if args.check.exists() else None
        if current != rendering.text:
            print(f"{args.check} is out of date: run `python -m proofs --output {args.check}`", file=sys.stderr)
            return 1
        return 0
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(rendering.text, encoding="utf-8")
    else:
        sys.stdout.write(rendering.text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
