"""The precision horizon of each target, tabulated and plotted (docs/precision-horizon.md and .png).

    pip install -e ".[transformers,dev]"
    python scripts/precision_horizon.py [--targets numpy,torch,transformers] [--dtypes float32,bfloat16]

For each target and dtype: the horizons of ``tests/horizon.py`` (thorough effort: 32 positions per
octave and 100 Hypothesis examples) and, for the plot, the cos/sin error e_a(m) of a dense scan
(128 positions per octave), drawn as the worst error per eighth of an octave — one line per target
and dtype, the threshold dashed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import settings

from spec.targets import load_target
from tests import horizon


def curve(measure: horizon.Measure) -> tuple[np.ndarray, np.ndarray]:
    """(bin start, worst e_a) over 8 bins per octave of a dense scan."""
    positions = horizon.scan_positions(128, seed=7)[1:]  # position 0 is exact everywhere and off a log axis
    errors = np.concatenate([measure.agreement(positions[i : i + 512]) for i in range(0, len(positions), 512)])
    edges = np.unique(np.floor(2 ** (np.arange(0, 24 * 8 + 1) / 8)).astype(np.int64))
    which = np.searchsorted(edges, positions, side="right") - 1
    starts, worst = [], []
    for b in np.unique(which):
        starts.append(edges[b])
        worst.append(errors[which == b].max())
    return np.array(starts), np.array(worst)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="numpy,torch,transformers")
    parser.add_argument("--dtypes", default="float32,bfloat16")
    parser.add_argument("--output", default=str(ROOT / "docs" / "precision-horizon"))
    args = parser.parse_args()
    settings.register_profile("horizon", max_examples=100, derandomize=True, database=None, deadline=None)
    settings.load_profile("horizon")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [
        f"# Precision horizon (head_dim 128, base 5·10⁵, half layout, threshold {horizon.THRESHOLD:g})", "",
        "Regenerate: `python scripts/precision_horizon.py`. Definitions and search: `tests/horizon.py`.", "",
        "| target | dtype | cos/sin agreement | relative-only q·k |", "|---|---|---|---|",
    ]
    figure, axes = plt.subplots(figsize=(8, 5))
    for name in args.targets.split(","):
        target = load_target(name)
        if target.unavailable:
            print(f"{name}: {target.unavailable}")
            continue
        for dtype in args.dtypes.split(","):
            if dtype not in target.dtypes:
                continue
            measure = horizon.Measure(target, dtype)
            agreement, relative = horizon.horizon(measure.agreement, measure.limit), horizon.horizon(measure.relative, measure.limit)
            rows.append(f"| `{name}` | {dtype} | {agreement.describe()} | {relative.describe()} |")
            print(rows[-1], flush=True)
            x, y = curve(measure)
            axes.loglog(x, y, label=f"{name} {dtype}", linestyle="-" if dtype == "float32" else "--")
    axes.axhline(horizon.THRESHOLD, color="black", linestyle=":", label=f"threshold {horizon.THRESHOLD:g}")
    axes.set_xlabel("position m")
    axes.set_ylabel("worst |cos/sin error| over pairs (per 1/8 octave)")
    axes.set_title("RoPE precision vs position (head_dim 128, base 5e5)")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(f"{args.output}.png", dpi=110)
    caption = ("Own references (numpy and torch coincide: both are correctly rounded) stay flat at the dtype's "
               "rounding of cos/sin; a float32-angle implementation's error grows like m·2⁻²⁴.")
    Path(f"{args.output}.md").write_text("\n".join(rows) + f"\n\n![error vs position](precision-horizon.png)\n\n{caption}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
