r"""xPos (Sun et al. 2022, "A Length-Extrapolatable Transformer", arXiv 2212.10554): the exact ζ^(±m/B)·R(m)x.

ζ_i = (2i/d + γ)/(1 + γ) = (10i + 2d)/(7d) at γ = 0.4 (``proofs.xpos.zeta``), B = scale_base; a query at m is
ζ_i^(m/B)·R(m)q, a key at n is ζ_i^(−n/B)·R(n)k, so their score is ζ_i^((m−n)/B)·qᵀR(n−m)k
(``proofs.xpos.relative``). The rotation is RoPE's (``spec.rope``); the scale is evaluated as
exp(e) with e = ±m·ln ζ_i/B held as a double-double (ln ζ_i to 2⁻¹⁰⁶, m·ln ζ_i exact, the division by B
corrected by its exact remainder): within 2 u(float64) relative of the real scale.
"""

from __future__ import annotations

from functools import lru_cache

import mpmath
import numpy as np

from proofs import xpos as proofs
from spec import error_model, rope, validation
from spec.phases import split_dd, two_product

#: The representable maxima the overflow bound uses (float16's 65504, bfloat16's and float32's ≈ 3.4·10³⁸).
MAX_FINITE = {"float64": float(np.finfo(np.float64).max), "float32": float(np.finfo(np.float32).max),
              "float16": 65504.0, "bfloat16": 3.3895313892515355e38}


@lru_cache(maxsize=256)
def log_zeta(head_dim: int) -> tuple[np.ndarray, np.ndarray]:
    """ln ζ_i as a double-double, i = 0 … head_dim/2 − 1 (ζ_i the exact rational of ``proofs.xpos.zeta``)."""
    with mpmath.workprec(160):
        return split_dd([mpmath.log(mpmath.mpf(10 * i + 2 * head_dim) / (7 * head_dim)) for i in range(head_dim // 2)])


def exponents(positions, head_dim: int, scale_base: float, role: str) -> tuple[np.ndarray, np.ndarray]:
    """e = ±m·ln ζ_i/B as a double-double ``[seq, head_dim/2]`` (+ for queries, − for keys)."""
    hi, lo = log_zeta(head_dim)
    m = np.asarray(positions, dtype=np.int64).astype(np.float64)[:, None]
    if role == "key":
        m = -m
    p, err = two_product(m, hi)
    err = err + m * lo
    quotient = p / scale_base
    back, back_err = two_product(quotient, scale_base)
    return quotient, ((p - back) - back_err + err) / scale_base


def scales(positions, head_dim: int, scale_base: float, role: str) -> np.ndarray:
    """ζ_i^(±m/B) in float64, ``[seq, head_dim/2]``."""
    head, tail = exponents(positions, head_dim, scale_base, role)
    return np.exp(head) * (1 + tail)


def xpos_apply(x, positions, *, role, base=10000.0, layout="half", scale_base=512.0):
    """ζ^(±m/B)·R(m)x in float64 for x ``[..., seq, head_dim]`` (any real dtype, read exactly)."""
    head_dim, role, base, layout, scale_base = validation.xpos_apply_args(x, positions, role, base, layout, scale_base)
    rotated = rope.rope_apply(x, positions, base=base, layout=layout)
    factor = scales(positions, head_dim, scale_base, role)
    lanes = np.concatenate([factor, factor], -1) if layout == "half" else np.repeat(factor, 2, -1)
    return rotated * lanes


#: The smallest normal number of each dtype: below it a scale ζ^a loses relative precision.
MIN_NORMAL = {"float64": float(np.finfo(np.float64).tiny), "float32": float(np.finfo(np.float32).tiny),
              "float16": 2.0**-14, "bfloat16": 2.0**-126}


def position_limit(dtype: str, scale_base: float, magnitude: float) -> int:
    """The largest |m| at which xPos is well defined in ``dtype``: every value ζ_i^(±m/B)·(|x₁| + |x₂|), with pairs no
    larger than ``magnitude``, is finite, and both scales ζ_0^(m/B) and ζ_0^(−m/B) are normal numbers (implementations
    form one as the reciprocal of the other), less the error model's headroom: ``proofs.xpos.overflow_position`` at
    M = max·(1 − 8u) and at M = 1/(smallest normal)."""
    headroom = 1 - 8 * error_model.unit_roundoff(dtype)
    at = proofs.overflow_position()
    return int(np.floor(min(at(scale_base, 2 / 7, MAX_FINITE[dtype] * headroom, magnitude),
                            at(scale_base, 2 / 7, headroom / MIN_NORMAL[dtype], 1.0))))
