"""Target ``mlx``: Apple's mlx (``mlx[cpu]``) — ``mx.fast.rope`` and ``mlx.nn``'s positional encodings.

mlx arrays are neither NumPy nor torch: the target takes and returns NumPy (``ARRAY_API = "numpy"``)
and converts at the boundary, keeping the dtype — ``mx.array`` alone would turn float64 into
float32, so the dtype is passed explicitly; bfloat16 (ml_dtypes) crosses as its uint16 bits. mlx
computes on its CPU device (the ``mlx[cpu]`` wheel), where every ``mx.fast`` op runs its composed
fallback (``mlx/fast.cpp``). What runs for each op, and the conventions this adapter converts:

* ``rope_apply``: ``mx.fast.rope(a, dims=rotary_dim, traditional=layout == "interleaved", base,
  scale=1.0, offset)``. ``traditional=True`` pairs (2i, 2i+1), ``False`` pairs (i, i + dims/2);
  only the first ``dims`` features rotate, the rest pass through (mlx's partial rotary). mlx places
  token t of ``a`` ``(B, *, T, D)`` at ``scale·(offset + t)``, ``offset`` an int or one per batch row
  (``(B,)``); arbitrary positions are that per-row offset: x ``[..., seq, head_dim]`` is passed as
  ``(seq, batch, 1, head_dim)`` — one token per row — with ``offset = positions`` and reshaped back.
  No arithmetic of the adapter's own. On the CPU the fallback forms float32 positions
  ``(t + offset)·scale`` (offset cast to int32), ``θ_i = exp(−i·fl32(ln(base)/(dims/2)))`` in float32
  (``base`` is a C++ float; checked bit for bit against ``mx.exp``/``mx.cos``), float32 angles, and
  cos/sin cast to x's dtype before the products: float64 x gets float32 angles. mlx has no scaler of its own (mlx-lm's are the ``mlx-lm`` target): a
  ``scaling`` dict is not provided.
* ``rope_frequencies``: not provided — ``mx.fast.rope`` forms θ inside the op and exposes none.
* ``sinusoidal``: ``mlx.nn.SinusoidalPositionalEncoding(dim, min_freq, max_freq=1, scale=1)`` —
  ``[sin | cos]`` (``cos_first=False``): ``layout="concat"`` only. Its frequencies run geometrically
  from ``max_freq`` to ``min_freq`` over the dim/2 pairs, ``exp(ln max + (1 − i/(dim/2 − 1))·(ln max −
  ln min))`` in float32; Vaswani's ω_i = base^(−2i/dim) is ``min_freq = base^(−(dim − 2)/dim)``,
  ``max_freq = 1`` (the parameter mapping; for dim = 2 the library uses max_freq alone). Its default
  scale √(2/dim) is set to 1. Positions (int64) times the float32 frequencies: a float32 table.
* ``alibi_slopes``: ``mlx.nn.ALiBi.create_alibi_slope(num_heads)`` (Press et al.'s rule in Python
  floats, stored float32), flattened from ``(H, 1, 1)``.
* ``alibi_bias``: ``ALiBi.create_alibi_matrix`` with the arguments ``ALiBi.__call__`` passes it
  (``q_sequence_length = offset + q_len``, ``offset = k_len − q_len``: query i at ``k_len − q_len +
  i``, as the protocol), i.e. −m·|i − j|, ``(1, H, q_len, k_len)`` → ``[H, q_len, k_len]``. The bias is
  symmetric and unmasked (mlx adds the causal mask separately), so ``causal=False`` is it unchanged and
  for ``causal=True`` the adapter writes ``-inf`` on the keys after each query.
* T5 buckets, xPos, learned tables: mlx has none (``nn.Embedding`` is a plain lookup).
"""

from __future__ import annotations

import math
from importlib.metadata import version

import numpy as np

from impl.adapters import require
from spec import validation

ml_dtypes = require("ml_dtypes", extra="mlx")
mx = require("mlx.core", package="mlx", extra="mlx")
nn = require("mlx.nn", package="mlx", extra="mlx")

ARRAY_API = "numpy"
DTYPES = ("float64", "float32", "float16", "bfloat16")  # mlx's CPU device runs all four
VERSIONS = {"mlx": version("mlx")}
ROPE_TYPES = ("default",)

_MX_DTYPES = {"float64": mx.float64, "float32": mx.float32, "float16": mx.float16}


def to_mx(array: np.ndarray):
    """A NumPy float array as an ``mx.array`` of the same dtype (bfloat16 through its bits)."""
    if array.dtype == ml_dtypes.bfloat16:
        return mx.array(array.view(np.uint16)).view(mx.bfloat16)
    return mx.array(array, dtype=_MX_DTYPES[array.dtype.name])


def to_numpy(array) -> np.ndarray:
    """An ``mx.array`` as NumPy of the same dtype (bfloat16 as ml_dtypes, which NumPy's buffer protocol lacks)."""
    if array.dtype == mx.bfloat16:
        return np.array(array.view(mx.uint16)).view(ml_dtypes.bfloat16)
    return np.array(array)


def rope_per_position(rope, x: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``rope(a, offset)`` for x ``[..., seq, head_dim]`` at arbitrary positions: a is ``(seq, batch, 1, head_dim)``,
    one token per batch row, and ``offset = positions`` (mlx's per-row offset), reshaped back."""
    *batch, seq, head_dim = x.shape
    rows = np.moveaxis(x, -2, 0).reshape(seq, math.prod(batch), 1, head_dim)
    out = to_numpy(rope(to_mx(np.ascontiguousarray(rows)), mx.array(positions)))
    return np.moveaxis(out.reshape(seq, *batch, head_dim), 0, -2)


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    _, rd, base = validation.rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    return rope_per_position(
        lambda a, offset: mx.fast.rope(a, rd, traditional=layout == "interleaved", base=base, scale=1.0, offset=offset),
        x, positions,
    )


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    dim, base, layout = validation.sinusoidal_args(positions, dim, base, layout)
    if layout != "concat":
        raise NotImplementedError("mlx.nn.SinusoidalPositionalEncoding is [sin | cos] (or [cos | sin]): concat layout only")
    table = nn.SinusoidalPositionalEncoding(dim, min_freq=base ** (-(dim - 2) / dim), max_freq=1.0, scale=1.0)
    return to_numpy(table(mx.array(positions)))


def alibi_slopes(num_heads):
    n = validation.integer("num_heads", num_heads, minimum=1)
    return to_numpy(nn.ALiBi.create_alibi_slope(n)).reshape(n)


def alibi_bias(num_heads, q_len, k_len, *, causal=True):
    validation.alibi_bias_args(num_heads, q_len, k_len, causal)
    offset = k_len - q_len
    bias = to_numpy(nn.ALiBi.create_alibi_matrix(offset + q_len, k_len, num_heads, offset=offset))[0]
    if causal:
        future = np.arange(k_len)[None, :] > np.arange(offset, k_len)[:, None]
        bias[:, future] = -np.inf
    return bias
