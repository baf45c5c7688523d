r"""The own references against each other: ``impl.numpy_ref`` vs ``impl.torch_ref`` (CPU), same inputs.

    python -m benchmarks.numpy_vs_torch [--quick]

* ``rope_apply``: x ``[batch, heads, seq, head_dim]`` (the shapes of ``rope_vs_hf``), positions
  0 … seq−1, base 10⁴, half layout; float32 and bfloat16 (NumPy's through ml_dtypes).
* ``sinusoidal``: the ``[seq, 128]`` table at positions 0 … seq−1 (NumPy returns float64, torch float32:
  both computed in float64 and rounded once).

Best of N calls, NumPy and torch called round-robin after a warm-up call each; the ratio is
numpy / torch (> 1: torch is faster). Both run the same code, ``impl/reference.py`` over the array API.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks import Row, interleaved, standalone
from spec.targets import load_target

NAME = "numpy_vs_torch"
BASE = 10000.0
ROPE_FULL = (((1, 32, 2048, 128), 5), ((4, 32, 4096, 128), 2))
ROPE_QUICK = (((1, 32, 512, 128), 3), ((1, 32, 2048, 128), 2))
SINUSOIDAL_FULL = ((2048, 10), (4096, 10), (65536, 3))
SINUSOIDAL_QUICK = ((2048, 5), (4096, 5))


def run(quick: bool = False) -> list[Row]:
    targets = {name: load_target(name) for name in ("numpy", "torch")}
    missing = [f"{name}: {t.unavailable}" for name, t in targets.items() if t.unavailable]
    if missing:
        return [Row(NAME, "-", "numpy/torch", "skipped", "", "; ".join(missing))]
    rng = np.random.default_rng(0)
    rows = []

    def add(label, timings):
        np_t, torch_t = timings["numpy"], timings["torch"]
        rows.append(Row(NAME, label, "numpy/torch", np_t.best / torch_t.best, "ratio",
                        f"numpy {np_t.best * 1e3:.1f} ms, torch {torch_t.best * 1e3:.1f} ms (best of {np_t.calls}; "
                        f"medians {np_t.median * 1e3:.1f} / {torch_t.median * 1e3:.1f})"))

    for shape, repeat in ROPE_QUICK if quick else ROPE_FULL:
        x = rng.standard_normal(shape)
        positions = np.arange(shape[2])
        for dtype in ("float32", "bfloat16"):
            inputs = {name: (t.asarray(x, dtype), t.asarray(positions)) for name, t in targets.items()}
            calls = {name: functools.partial(t.op("rope_apply"), *inputs[name], base=BASE) for name, t in targets.items()}
            add(f"rope_apply {dtype} {list(shape)}", interleaved(calls, repeat=repeat, warmup=1, max_seconds=120))
    for seq, repeat in SINUSOIDAL_QUICK if quick else SINUSOIDAL_FULL:
        positions = np.arange(seq)
        calls = {name: functools.partial(t.op("sinusoidal"), t.asarray(positions), 128, base=BASE) for name, t in targets.items()}
        add(f"sinusoidal [{seq}, 128]", interleaved(calls, repeat=repeat, warmup=1, max_seconds=60))
    return rows


def main() -> int:
    return standalone(run, __doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
