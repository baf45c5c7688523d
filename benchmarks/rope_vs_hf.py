r"""The own torch ``rope_apply`` against Hugging Face's RoPE on CPU, side by side (issue 8's goal: own/HF ≤ 1.0).

    python -m benchmarks.rope_vs_hf [--quick]

One *call* rotates the queries and the keys of one attention layer, q and k both ``[batch, heads, seq,
head_dim]``, positions 0 … seq−1, base 10⁴, half layout (rotate_half), no scaling:

* ``own``: ``impl.torch_ref.rope_apply(q, positions)`` and ``rope_apply(k, positions)`` — whatever
  ``impl/reference.py`` does at run time (its docstring says how; since issue 5 the angles are reduced
  in double-double and cos/sin evaluated in float64; the header line "measured code" names the version);
* ``HF``: ``LlamaRotaryEmbedding(config)(q, position_ids)`` (position_ids ``[1, seq]``, as
  ``LlamaModel`` passes them) for cos/sin, then ``apply_rotary_pos_emb(q, k, cos, sin)`` from
  ``transformers.models.llama.modeling_llama`` (float32 angles, cos/sin cast to x's dtype, the
  rotation in x's dtype);
* ``naive``: the float32-angle path the reference had before issue 5 (HF's recipe in the array API),
  when ``benchmarks/accurate_angles.py`` provides it (``naive_rope_apply``): ``impl/`` itself has no
  switch between the two paths;
* ``own angles``: the own cos/sin alone (``ArrayBackend._cos_sin``, ``[seq, head_dim/2]`` float64), to
  show how much of ``own`` is the angle computation and how much the rotation.

Times are best of N calls, the candidates called round-robin (own, HF, naive, own, …) after a warm-up
call each, so that they share the background load; torch uses ``os.cpu_count()`` threads (printed).
The ratio is own / HF (< 1: the own reference is faster).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import Row, interleaved, standalone

NAME = "rope_vs_hf"
HEAD_DIM, HEADS, BASE = 128, 32, 10000.0
FULL = (((1, HEADS, 2048, HEAD_DIM), 7), ((4, HEADS, 4096, HEAD_DIM), 3))
QUICK = (((1, HEADS, 512, HEAD_DIM), 5), ((1, HEADS, 2048, HEAD_DIM), 3))


def naive_path(xp):
    """The pre-issue-5 float32-angle rope_apply (``benchmarks/accurate_angles.py``), or None when it is not there."""
    try:
        from benchmarks.accurate_angles import naive_rope_apply
    except ImportError:
        return None
    return naive_rope_apply(xp)


def own_angles(xp):
    """The own cos/sin of ``[seq, head_dim/2]`` alone (private helpers of impl.reference), or None if they moved."""
    try:
        from impl import scaling as scaling_module
        from impl.reference import ArrayBackend

        backend = ArrayBackend(xp, device="cpu", float_dtype=xp.float32)
        hi, lo, _ = scaling_module.angle_frequencies(xp, "cpu", HEAD_DIM, BASE, None, None)
        return lambda positions: backend._cos_sin(positions, hi, lo)
    except (ImportError, AttributeError, TypeError):
        return None


def both(rope_apply, q, k, positions):
    """A protocol-style rope_apply on the queries and on the keys."""
    return rope_apply(q, positions, base=BASE), rope_apply(k, positions, base=BASE)


def hugging_face(rotary, apply_rotary_pos_emb, q, k, position_ids):
    """Llama's path: cos/sin once from the rotary module, then both tensors rotated."""
    cos, sin = rotary(q, position_ids)
    return apply_rotary_pos_emb(q, k, cos, sin)


def run(quick: bool = False) -> list[Row]:
    try:
        import torch
        from transformers import LlamaConfig
        from transformers.models.llama.modeling_llama import (
            LlamaRotaryEmbedding,
            apply_rotary_pos_emb,
        )
    except ImportError as error:
        return [Row(NAME, "-", "own/HF", "skipped", "", f"needs torch and transformers: {error}")]
    from impl import torch_ref

    threads = torch.get_num_threads()
    naive, angles = naive_path(torch_ref.xp), own_angles(torch_ref.xp)
    rows = []
    for shape, repeat in QUICK if quick else FULL:
        _, heads, seq, head_dim = shape
        config = LlamaConfig(hidden_size=heads * head_dim, num_attention_heads=heads, head_dim=head_dim,
                             max_position_embeddings=seq, rope_parameters={"rope_type": "default", "rope_theta": BASE})
        rotary = LlamaRotaryEmbedding(config)
        positions = torch.arange(seq)
        position_ids = positions[None, :]
        generator = torch.Generator().manual_seed(seq)
        for dtype in (torch.float32, torch.bfloat16):
            q = torch.randn(shape, generator=generator).to(dtype)
            k = torch.randn(shape, generator=generator).to(dtype)

            own = functools.partial(both, torch_ref.rope_apply, q, k, positions)
            hf = functools.partial(hugging_face, rotary, apply_rotary_pos_emb, q, k, position_ids)
            candidates = {"own": own, "HF": hf}
            if naive is not None:
                candidates["naive"] = functools.partial(both, naive, q, k, positions)
            if angles is not None:
                candidates["own angles"] = functools.partial(angles, positions)
            with torch.no_grad():
                timings = interleaved(candidates, repeat=repeat, warmup=1, max_seconds=120)
                (own_q, _), (hf_q, _) = own(), hf()
                gap = float((own_q.double() - hf_q.double()).abs().max())
            label = f"{str(dtype).removeprefix('torch.')} {list(shape)} q+k"
            hf_best = timings["HF"].best
            detail = (f"own {timings['own'].best * 1e3:.1f} ms, HF {hf_best * 1e3:.1f} ms (best of {timings['own'].calls}; "
                      f"medians {timings['own'].median * 1e3:.1f} / {timings['HF'].median * 1e3:.1f}); {threads} threads; "
                      f"max |own − HF| {gap:.2g}")
            rows.append(Row(NAME, label, "own/HF", timings["own"].best / hf_best, "ratio", detail))
            if "naive" in timings:
                rows.append(Row(NAME, label, "naive/HF", timings["naive"].best / hf_best, "ratio",
                                f"naive {timings['naive'].best * 1e3:.1f} ms (float32 angles, pre-issue-5 path)"))
            if "own angles" in timings:
                share = 2 * timings["own angles"].best / timings["own"].best  # own computes cos/sin once per tensor
                rows.append(Row(NAME, label, "own angles (cos/sin)", timings["own angles"].best * 1e3, "ms",
                                f"per tensor; ×2 = {100 * share:.0f}% of own"))
    return rows


def main() -> int:
    return standalone(run, __doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
