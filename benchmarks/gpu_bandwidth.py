r"""Memory bandwidth achieved by the own torch CUDA ``rope_apply`` (``impl.torch_cuda_ref``), as a fraction of peak.

    python -m benchmarks.gpu_bandwidth [--quick]       # without CUDA: prints "skipped: no CUDA device", exit 0
    python -m benchmarks.gpu_bandwidth --cpu-dry-run   # the same measurement on impl.torch_ref (checks the script)

RoPE is memory-bound: an ideal kernel reads x once and writes the result once, so the useful traffic
is 2 × x.numel() × itemsize bytes (cos/sin, ``[seq, head_dim/2]``, are negligible and not counted). The
achieved bandwidth is those bytes / time of one call (CUDA events around the call, after a warm-up,
``torch.cuda.synchronize()``; best and median of N), reported against the device's peak, looked up from
its name: H100 SXM 3.35 TB/s, H100 PCIe 2.0 TB/s, H200 4.8 TB/s, A100 80GB 2.0 TB/s, else "unknown
peak". ``x.clone()`` (read + write, the same bytes) is timed alongside as the practical ceiling.
The own path materialises float64 intermediates for float16/bfloat16 x, so its real traffic is many
times the useful one: the fraction says how far it is from a fused kernel.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import Row, configure_threads, environment, load_average, print_table

NAME = "gpu_bandwidth"
SKIPPED = "skipped: no CUDA device"
BASE = 10000.0
FULL = ((4, 32, 8192, 128), (8, 32, 8192, 128))
QUICK = ((1, 32, 8192, 128),)
REPEAT = 10


def peak_bandwidth(name: str) -> float | None:
    """Peak memory bandwidth in bytes/s for a device name (``torch.cuda.get_device_name()``), None if unknown."""
    upper = name.upper()
    if "H200" in upper:
        return 4.8e12
    if "H100" in upper:
        if "PCIE" in upper:
            return 2.0e12
        if "SXM" in upper or "HBM3" in upper:  # "NVIDIA H100 80GB HBM3" is the SXM part
            return 3.35e12
        return None  # H100 NVL and others: not in the table
    if "A100" in upper and "80GB" in upper:
        return 2.0e12
    return None


def time_calls(function, device: str, repeat: int) -> tuple[float, float]:
    """(best, median) seconds per call: CUDA events on a GPU, perf_counter on the CPU."""
    import torch

    for _ in range(2):
        function()
    times = []
    for _ in range(repeat):
        if device == "cuda":
            torch.cuda.synchronize()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            function()
            end.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(end) / 1e3)
        else:
            start = time.perf_counter()
            function()
            times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def run(quick: bool = False, cpu_dry_run: bool = False) -> list[Row]:
    try:
        import torch
    except ImportError:
        return [Row(NAME, "-", "bandwidth", "skipped", "", "torch not installed")]
    if cpu_dry_run:
        from impl import torch_ref as module

        device, device_name, peak = "cpu", "CPU (dry run)", None
        shapes = ((1, 32, 1024, 128),)
    else:
        if not torch.cuda.is_available():
            return [Row(NAME, "-", "bandwidth", "skipped", "", SKIPPED)]
        from impl import torch_cuda_ref as module

        device, device_name = "cuda", torch.cuda.get_device_name()
        peak = peak_bandwidth(device_name)
        shapes = QUICK if quick else FULL
    rows = []
    generator = torch.Generator(device=device).manual_seed(0)
    for shape in shapes:
        positions = torch.arange(shape[2], device=device)
        for dtype in (torch.float32, torch.bfloat16):
            x = torch.randn(shape, generator=generator, device=device).to(dtype)
            useful = 2 * x.numel() * x.element_size()
            label = f"{str(dtype).removeprefix('torch.')} {list(shape)} on {device_name}"
            try:
                with torch.no_grad():
                    own_best, own_median = time_calls(functools.partial(module.rope_apply, x, positions, base=BASE), device, REPEAT)
                    copy_best, _ = time_calls(x.clone, device, REPEAT)
            except torch.OutOfMemoryError as error:
                rows.append(Row(NAME, label, "bandwidth", "out of memory", "", str(error).splitlines()[0]))
                continue
            achieved, ceiling = useful / own_best, useful / copy_best
            of_peak = f"{100 * achieved / peak:.1f}% of the {peak / 1e12:.2f} TB/s peak" if peak else "unknown peak"
            rows.append(Row(NAME, label, "rope_apply bandwidth", achieved / 1e9, "GB/s",
                            f"{of_peak}; {own_best * 1e3:.2f} ms best, {own_median * 1e3:.2f} ms median; "
                            f"{useful / 1e9:.2f} GB read + written"))
            copy_peak = f"{100 * ceiling / peak:.1f}% of peak" if peak else "unknown peak"
            rows.append(Row(NAME, label, "x.clone() bandwidth", ceiling / 1e9, "GB/s",
                            f"{copy_peak}; rope_apply reaches {100 * achieved / ceiling:.1f}% of it"))
            del x
            if device == "cuda":
                torch.cuda.empty_cache()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one smaller shape")
    parser.add_argument("--cpu-dry-run", action="store_true", help="measure impl.torch_ref on the CPU instead (checks the script)")
    args = parser.parse_args()
    configure_threads()
    rows = run(quick=args.quick, cpu_dry_run=args.cpu_dry_run)
    if rows and rows[0].detail == SKIPPED:
        print(SKIPPED)
        return 0
    for line in environment():
        print(line)
    print()
    print_table(rows)
    print(f"\nload average at end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
