"""What do exact angles cost? rope_apply of the own references against the naive float32-angle path.

    python benchmarks/accurate_angles.py            # NumPy and torch CPU, x of [1, 4096, 128] and [8, 2048, 128]
    python benchmarks/accurate_angles.py --repeat 50

"accurate" is ``impl.numpy_ref`` / ``impl.torch_ref`` (double-double phases, float64 cos/sin rounded
once to x's dtype; float16/bfloat16 rotated in float32); "naive" is the code they replaced (angles m·θ
in float32 for non-float64 x, cos/sin cast to x's dtype, rotation in x's dtype — Hugging Face's
recipe), with the same argument validation. Each time is the median of ``--repeat`` calls after two
warm-up calls; plain RoPE, half layout, base 10⁴, positions 0 … seq − 1, float32 x (the headline) and
bfloat16 x.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spec import validation
from spec.targets import load_target

SHAPES = ((1, 4096, 128), (8, 2048, 128))


def naive_rope_apply(xp):
    """The pre-fidelity reference's rope_apply (plain RoPE, half layout) in namespace ``xp``."""

    def rope_apply(x, positions, *, base=10000.0):
        _, rd, base, _ = validation.scaled_rope_apply_args(x, positions, base, "half", None, None, None)
        dtype = xp.float64 if x.dtype == xp.float64 else xp.float32
        inv_freq = 1.0 / xp.asarray(base, dtype=dtype) ** (xp.arange(0, rd, 2, dtype=dtype) / rd)
        angles = xp.astype(positions, dtype)[:, None] * inv_freq[None, :]
        cos, sin = xp.astype(xp.cos(angles), x.dtype), xp.astype(xp.sin(angles), x.dtype)
        x1, x2 = x[..., : rd // 2], x[..., rd // 2 : rd]
        return xp.concat([x1 * cos - x2 * sin, x2 * cos + x1 * sin, x[..., rd:]], axis=-1)

    return rope_apply


def median_seconds(repeat: int, function, *args) -> float:
    for _ in range(2):
        function(*args)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per measurement (median reported)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'backend':8} {'dtype':9} {'x shape':15} {'naive ms':>9} {'accurate ms':>12} {'ratio':>6}")
    for name in ("numpy", "torch"):
        target = load_target(name)
        if target.unavailable:
            print(f"{name}: {target.unavailable}")
            continue
        xp = target.module.xp
        naive = naive_rope_apply(xp)
        if name == "torch":
            import torch

            print(f"(torch {torch.__version__}, {torch.get_num_threads()} threads)")
        for dtype in ("float32", "bfloat16"):
            for shape in SHAPES:
                x = target.asarray(rng.standard_normal(shape), dtype)
                positions = target.asarray(np.arange(shape[1]))
                before = median_seconds(args.repeat, naive, x, positions)
                after = median_seconds(args.repeat, target.module.rope_apply, x, positions)
                print(f"{name:8} {dtype:9} {list(shape)!s:15} {before * 1e3:9.2f} {after * 1e3:12.2f} {after / before:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
