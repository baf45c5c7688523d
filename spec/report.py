"""The conformance report: a JSON record per (target, op, property, dtype) and its Markdown rendering.

``--conformance-report PATH`` writes ``PATH`` (JSON) and ``PATH`` with the suffix ``.md``. Both are
written atomically (a temporary file renamed over the old one; under pytest-xdist by the controller only), first right after collection, then
at most every few seconds while tests run, and finally at the end of the session — so a target that
kills the process, or a Ctrl-C, still leaves a readable report, marked ``"complete": false``.

``python -m spec.report PATH.json`` re-renders the Markdown from a JSON report.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

#: The worst status of a group wins: a family with one failing property fails.
STATUS_ORDER = ("fail", "error", "pass", "not provided", "unavailable")
PARTIAL = "**Partial report**: the run did not finish (interrupted or crashed); properties not yet run are missing."


def merge(statuses) -> str:
    present = set(statuses)
    return next(s for s in STATUS_ORDER if s in present)


def label(name: str) -> str:
    """Short id of a target: a file target's stem, else its name."""
    return Path(name).stem if name.endswith(".py") else name


class ReportWriter:
    """Writes ``payload()`` to a JSON path and its Markdown twin, atomically, at most every ``interval`` s."""

    def __init__(self, path: str | Path, interval: float = 2.0):
        self.path = Path(path)
        self.interval = interval
        self._last = -float("inf")

    def write(self, payload: dict, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.path, json.dumps(payload, indent=1, default=str))
        _atomic_write(self.path.with_suffix(".md"), render_markdown(payload))


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # one writer per process, never a shared temporary
    tmp.write_text(text)
    tmp.replace(path)


def _number(value) -> str:
    return "" if value is None else f"{value:.3g}"


def render_markdown(payload: dict) -> str:
    """The report as Markdown: targets, a target × op · family table, every property, every failure."""
    results = payload["results"]
    targets = [t["name"] for t in payload["targets"]]
    lines = ["# Conformance report", ""]
    if not payload.get("complete", True):
        lines += [PARTIAL, ""]
    lines += [f"Python {payload.get('python', '?')}; exit status {payload.get('exit_status', '?')}.", "",
              "| target | loaded as | versions |", "|---|---|---|"]
    for t in payload["targets"]:
        loaded = t["unavailable"] or f"{t['array_api']} on {t['device']}; dtypes {', '.join(t['dtypes'])}"
        versions = ", ".join(f"{k} {v}" for k, v in t["versions"].items())
        lines.append(f"| `{t['name']}` | {loaded} | {versions} |")

    cells = defaultdict(list)
    for r in results:
        cells[(r["op"], r["family"], r["target"])].append(r["status"])
    rows = sorted({(op, family) for op, family, _ in cells})
    lines += ["", "## Summary: op · property family", "",
              "| op · family | " + " | ".join(f"`{label(t)}`" for t in targets) + " |",
              "|---|" + "---|" * len(targets)]
    for op, family in rows:
        row = [merge(cells[(op, family, t)]) if (op, family, t) in cells else "-" for t in targets]
        lines.append(f"| {op} · {family} | " + " | ".join(row) + " |")

    by_property = defaultdict(lambda: defaultdict(list))
    for r in results:
        by_property[(r["op"], r["property"], r["derivation"])][r["target"]].append(r)
    lines += ["", "## Every property, with the derivation behind it", "",
              "Worst observed error / tolerance over the passing runs of each (target, property), all dtypes.", "",
              "| op | property | derivation | " + " | ".join(f"`{label(t)}`" for t in targets) + " |",
              "|---|---|---|" + "---|" * len(targets)]
    for (op, prop, derivation), per_target in sorted(by_property.items()):
        row = []
        for t in targets:
            records = per_target.get(t, [])
            if not records:
                row.append("-")
                continue
            status = merge(r["status"] for r in records)
            ratios = [r["max_error"] / r["tolerance"] for r in records
                      if r["status"] == "pass" and r["max_error"] is not None and r["tolerance"]]
            row.append(f"{status} ({max(ratios):.2g})" if ratios and status == "pass" else status)
        lines.append(f"| {op} | `{prop}` | `{derivation}` | " + " | ".join(row) + " |")

    failures = [r for r in results if r["status"] in ("fail", "error")]
    lines += ["", f"## Non-conformant results ({len(failures)})", ""]
    for r in failures:
        lines += [f"### [{r['status']}] `{r['property']}` — `{label(r['target'])}`, {r['dtype'] or 'no dtype'}", "",
                  f"* op `{r['op']}`, family {r['family']}, derivation `{r['derivation']}`",
                  f"* max error {_number(r['max_error'])}, tolerance {_number(r['tolerance'])}"]
        if r.get("diagnosis"):
            lines.append(f"* **diagnosis ({r['diagnosis']['verdict']})**: {r['diagnosis']['text']}")
        elif r.get("misbehaviour"):
            lines.append(f"* misbehaviour: {r['misbehaviour']} (reported at the first example, not shrunk)")
        if r.get("counterexample"):
            lines.append(f"* counterexample `{json.dumps(r['counterexample'], default=str)}`")
        lines += [f"* reproduce: `{r['reproduce']}`", "", "```", (r["message"] or "").strip(), "```", ""]
    notes = sorted({(label(r["target"]), r["info"]) for r in results if r.get("info")})
    if notes:
        lines += ["## Informational (measured, not a verdict)", ""] + [f"* `{t}`: {info}" for t, info in notes]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m spec.report REPORT.json  (writes REPORT.md beside it)", file=sys.stderr)
        return 2
    path = Path(argv[0])
    _atomic_write(path.with_suffix(".md"), render_markdown(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
