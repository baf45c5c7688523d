"""Target ``fla-interpreter``: flash-linear-attention's Triton RoPE (``fla.modules.rotary``), run by Triton's CPU interpreter.

The kernel ``rotary_embedding_kernel`` executes on CPU tensors under Triton's interpreter
(``TRITON_INTERPRET=1``, set before fla is imported, for the whole process: Triton reads it when a
kernel is decorated; the adapter refuses to load if fla's kernel was already compiled for a GPU).
One environment shim: the kernel is ``@triton.autotune``d over 15 launch configurations, and
benchmarking them needs a GPU driver (``RuntimeError: 0 active drivers``), so the adapter keeps the
first one. Launch configurations (warps, stages) do not change an elementwise kernel's arithmetic.
fla-core 0.5.2 needs triton < 3.9 (3.9 rejects its autotune keys at import, triton#11602).

* ``rope_apply``: the cos/sin table of fla's own ``RotaryEmbedding(rotary_dim, base)``
  (``_update_cos_sin_cache``, what its ``forward`` builds: float32 ``inv_freq``, float32 positions
  ``0 … rows − 1``, float32 angles ``outer(t, inv_freq)``, cos/sin cast to x's dtype, which the
  kernel asserts), ``rotary_dim / 2`` wide (not duplicated). The kernel reads row ``t + seqlen_offsets``
  for token t, so arbitrary positions are those rows of the table gathered in order and passed with
  ``seqlen_offsets=0`` to ``rotary_embedding(x, cos, sin, interleaved=...)``. ``interleaved=False``
  pairs (i, i + rotary_dim/2) (``"half"``), ``True`` pairs (2i, 2i+1); dims past ``rotary_dim`` are
  copied (the library's partial rotary). The kernel loads x, cos and sin as float32, computes in
  float32 and stores x's dtype — for float64 x too.
* Layout: the kernel takes x ``[batch, seq, heads, head_dim]``; x ``[..., seq, head_dim]`` goes in as
  ``[1, seq, rows, head_dim]`` (every leading row a head, one kernel program per head and 128 tokens).
* The table has a row per position up to the largest asked for: the adapter builds it for the power
  of two above ``max(positions)`` (at most ``MAX_POSITION + 1`` rows) and keeps the last two modules
  (fla rebuilds a module's table only for a longer length or another dtype); ``MAX_POSITION`` (2^17)
  bounds a table to 2^17 × 128 pairs. The kernel asserts ``head_dim <= 256``: larger heads are not
  provided.
* ``rope_frequencies``: ``RotaryEmbedding(rotary_dim, base).inv_freq`` (float32), attention factor 1.
  fla has no scaler: every rope_type but ``default`` is not provided.
* xPos: ``RotaryEmbedding(scale_base=...)`` exists, but its scale is tied to the table's row
  (``power = (t − rows // 2) / scale_base`` for the row that also gives the angle of position t), so
  ζ^(m/B) at position m is not what it computes: ``xpos_apply`` is not offered.
* DTYPES: float64, float32, float16. Not bfloat16: the interpreter converts float32 to bfloat16 by
  truncation (a GPU rounds to nearest), so every bfloat16 store is off by up to 1 ulp where a GPU's
  is ½ ulp (docs/conformance/fla-interpreter-notes.md has the evidence).
"""

from __future__ import annotations

import functools
import math
import os
from importlib.metadata import version

from impl.adapters import require
from spec import validation

os.environ["TRITON_INTERPRET"] = "1"
torch = require("torch")
require("triton", extra="triton")
rotary = require("fla.modules.rotary", package="flash-linear-attention", extra="triton")
from triton.runtime.interpreter import InterpretedFunction

interpreted = isinstance(rotary.rotary_embedding_kernel.fn, InterpretedFunction)
if not interpreted:
    raise ImportError("fla was imported before TRITON_INTERPRET=1 was set: its kernels are compiled for a GPU")
rotary.rotary_embedding_kernel.configs = rotary.rotary_embedding_kernel.configs[:1]  # no GPU to benchmark the others

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16")
VERSIONS = {"fla-core": version("fla-core"), "triton": version("triton")}
ROPE_TYPES = ("default",)
#: The cos/sin table has a row per position (see the module docstring).
MAX_POSITION = {"rope_apply": 2**17}
_ROWS = MAX_POSITION["rope_apply"] + 1
_MAX_HEAD_DIM = 256  # rotary_embedding_fwdbwd: assert D <= 256


@functools.lru_cache(maxsize=2)
def _module(rotary_dim: int, base: float):
    return rotary.RotaryEmbedding(rotary_dim, base=base)


def rope_frequencies(rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
    dim, base = validation.rope_frequencies_args(rotary_dim, base, scaling, seq_len)
    return _module(dim, base).inv_freq.clone(), 1.0


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    head_dim, rd, base = validation.rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    if head_dim > _MAX_HEAD_DIM:
        raise NotImplementedError(f"fla's rotary kernel supports head_dim <= {_MAX_HEAD_DIM}")
    seq = x.shape[-2]
    last = int(positions.max()) if seq else 0
    module = _module(rd, base)
    with torch.no_grad():
        module._update_cos_sin_cache(max(min(1 << last.bit_length(), _ROWS), last + 1), device=x.device, dtype=x.dtype)
        rows = positions.to(torch.int64)
        cos, sin = module._cos_cached[rows], module._sin_cached[rows]
        as_heads = x.reshape(math.prod(x.shape[:-2]), seq, head_dim).transpose(0, 1)[None]  # [1, seq, rows, head_dim]
        out = rotary.rotary_embedding(as_heads, cos, sin, interleaved=layout == "interleaved", seqlen_offsets=0)
        return out[0].transpose(0, 1).reshape(x.shape)
