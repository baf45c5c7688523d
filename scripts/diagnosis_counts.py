"""How often the diagnosis names the bug planted in each zoo member, per scheme.

    python scripts/diagnosis_counts.py

Runs the zoo meta-test's gate runs (``tests/meta/test_zoo.py``: kill-matrix profile, float64) and counts,
per scheme (the member's name up to its first ``_``: rope, scaling, sinusoidal, alibi, t5,
learned_absolute): the members, those with a failing numeric record (a value property, not a
misbehaviour), those whose ``PLANTED`` hypothesis some failing record's diagnosis names, and the
failing numeric records with their verdicts (semantic error, precision limit, unexplained). The
README's table comes from here.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.meta import test_zoo  # noqa: E402 — after the path insert


def main() -> int:
    test_zoo.start_in_background()
    results = []
    for run, report in test_zoo._RUNS:
        run.wait()
        results += json.loads(report.read_text())["results"]
    numeric = test_zoo._numeric_failures(results)
    named, verdicts = defaultdict(set), defaultdict(Counter)
    for record in numeric:
        found = record.get("diagnosis") or {}
        named[record["target"]].update([found.get("hypothesis"), *found.get("also", [])])
    members = defaultdict(list)
    for member in test_zoo.ZOO:
        members[Path(member).stem.split("_")[0]].append(member)
    for record in numeric:
        verdicts[Path(record["target"]).stem.split("_")[0]][(record.get("diagnosis") or {}).get("verdict")] += 1
    print("| scheme | members | with a numeric failure | diagnosis names the planted bug | failing numeric records: "
          "semantic / precision / unexplained |")
    print("|---|---|---|---|---|")
    totals = Counter()
    for scheme, group in sorted(members.items()):
        failing = [m for m in group if named.get(m)]
        hits = [m for m in group if test_zoo.planted(m) and test_zoo.planted(m) in named.get(m, ())]
        v = verdicts[scheme]
        row = Counter(members=len(group), failing=len(failing), hits=len(hits), semantic=v["semantic error"],
                      precision=v["precision limit"], unexplained=v["unexplained"])
        totals.update(row)
        print(f"| {scheme} | {row['members']} | {row['failing']} | {row['hits']} | "
              f"{row['semantic']} / {row['precision']} / {row['unexplained']} |")
    print(f"| all | {totals['members']} | {totals['failing']} | {totals['hits']} | "
          f"{totals['semantic']} / {totals['precision']} / {totals['unexplained']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
