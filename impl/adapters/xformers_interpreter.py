"""Target ``xformers-interpreter``: xFormers' ``xformers.ops.rope_padded`` Triton kernel, run by Triton's CPU interpreter.

``rope_padded`` is xFormers' only RoPE (inference: it ropes q and k and writes k and v into a KV
cache). Its kernel ``_rope_padded_kernel`` computes θ_i = theta^(−2i/dim) (libdevice ``pow``), the
angle ``seqpos · θ_i / linear_scale`` and its sin and cos in float32 inside the kernel, and the
rotation in the promoted dtype of x and float32. It runs on CPU tensors with three environment
shims, none of which touches the kernel's formula:

1. ``TRITON_INTERPRET=1`` and ``XFORMERS_ENABLE_TRITON=1``, set before xFormers is imported (for the
   whole process): Triton reads the first when a kernel is decorated, and without the second
   ``xformers._is_triton_available()`` (computed once, at import) is False without CUDA.
2. ``torch.cuda.device`` is a no-op context during the call: ``rope_padded`` enters
   ``torch.cuda.device(xq.device)``, which rejects a CPU device.
3. libdevice ``pow``: the interpreter has no libdevice (the kernel module's ``pow`` is the stub,
   returning None), so the kernel module's ``pow`` is NumPy's float32 ``power`` of the same float32
   operands (≤ 1 ulp from the exact θ_i for every base and dim checked). Not the
   ``exp2(b·log2 a)`` substitute: that changes θ_i by up to 15 ulp.

Conventions converted:

* x ``[..., seq, head_dim]`` goes in as ``xq [1, seq, rows, head_dim]`` (every leading row a query
  head) of one sequence, ``BlockDiagonalCausalWithOffsetPaddedKeysMask.from_seqlens(q_seqlen=[seq],
  kv_padding=seq, kv_seqlen=[seq])``; k and v are one zero head and the caches zeros of its shape.
  The roped q (``out_q``) is the result.
* Positions: ``seqpos`` (one per query, arbitrary). ``adjacents=True`` pairs (2i, 2i+1)
  (``"interleaved"``), ``False`` pairs (i, i + head_dim/2) (``"half"``). The kernel rotates every
  pair of the head (θ_i from ``dim`` = head_dim): ``rotary_dim < head_dim`` is not provided.
* ``{"rope_type": "linear", "factor": s}`` → ``linear_scale=s`` (the angle divided by s; attention
  factor 1). ``llama3`` (``use_dynamic_scaling``) is not provided: its mid-band test is Python's
  ``a and b`` on blocks, which the interpreter evaluates as ``b`` (a compiled kernel as
  ``logical_and``), so the interpreter computes other frequencies than a GPU would. No other scaler.
* DTYPES: float64, float32, float16. Not bfloat16: the interpreter converts float32 to bfloat16 by
  truncation (a GPU rounds to nearest), so every bfloat16 store is off by up to 1 ulp where a GPU's
  is ½ ulp. The ``internal_dtype="f64"`` option fails under the interpreter (theta stays a Python
  float) and is not used. docs/conformance/xformers-interpreter-notes.md has the evidence.
* ``MAX_POSITION`` (2^16, every position of a 64K context): the interpreter runs one kernel program
  per token and head (~16 ms each), and the precision-horizon search rotates 64 unit vectors at
  every scanned position; a longer range multiplies that search, not what the properties check.
  Even so one such call takes ~2 min: a gate run needs ``CONFORMANCE_OP_TIMEOUT`` above its 20 s.
* No other op: xFormers exposes no frequencies, ALiBi or sinusoid tables.
"""

from __future__ import annotations

import contextlib
import math
import os
from importlib.metadata import version
from unittest import mock

import numpy as np

from impl.adapters import require
from spec import validation

os.environ["TRITON_INTERPRET"] = "1"
os.environ["XFORMERS_ENABLE_TRITON"] = "1"
torch = require("torch")
tl = require("triton.language", package="triton", extra="triton")
kernels = require("xformers.ops._triton.rope_padded_kernels", package="xformers", extra="triton")
from triton.runtime.interpreter import InterpretedFunction, TensorHandle
from xformers.ops import rope_padded
from xformers.ops.fmha.attn_bias import BlockDiagonalCausalWithOffsetPaddedKeysMask

interpreted = isinstance(kernels._rope_padded_kernel, InterpretedFunction)
if not interpreted:
    raise ImportError("xformers was imported before TRITON_INTERPRET=1 was set: its kernels are compiled for a GPU")


def _pow(base, exponent):
    """libdevice ``pow(base, exponent)`` for the interpreter: NumPy's float32 pow of the float32 operands."""
    data = np.power(np.float32(base), exponent.handle.data)
    return tl.tensor(TensorHandle(data, exponent.dtype), exponent.type)


kernels.pow = _pow

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16")
VERSIONS = {"xformers": version("xformers"), "triton": version("triton")}
ROPE_TYPES = ("default", "linear")
MAX_POSITION = {"rope_apply": 2**16}


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    head_dim, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    if rd != head_dim:
        raise NotImplementedError("rope_padded rotates every pair of the head (θ_i from head_dim): no partial rotary")
    rope_type = "default" if config is None else config["rope_type"]
    if rope_type == "llama3":
        raise NotImplementedError("llama3 (use_dynamic_scaling): the interpreter evaluates its `a and b` on blocks as b")
    if rope_type not in ROPE_TYPES:
        raise NotImplementedError(f"rope_type {rope_type!r}: rope_padded's scalers are linear_scale and Llama 3's rule")
    seq = x.shape[-2]
    xq = x.reshape(math.prod(x.shape[:-2]), seq, head_dim).transpose(0, 1)[None].contiguous()  # [1, seq, rows, head_dim]
    xk = x.new_zeros(1, seq, 1, head_dim)
    bias = BlockDiagonalCausalWithOffsetPaddedKeysMask.from_seqlens(q_seqlen=[seq], kv_padding=seq, kv_seqlen=[seq])
    with torch.no_grad(), mock.patch.object(torch.cuda, "device", lambda device: contextlib.nullcontext()):
        out = rope_padded(xq, xk, torch.zeros_like(xk), torch.zeros_like(xk), torch.zeros_like(xk), bias, theta=base,
                          linear_scale=config["factor"] if rope_type == "linear" else 1.0, seqpos=positions.to(torch.int64),
                          adjacents=layout == "interleaved")
    return out[0].transpose(0, 1).reshape(x.shape)
