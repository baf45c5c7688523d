r"""RoPE derivations (RoFormer, Su et al. 2021, §3.4).

R₂(φ) = [[cos φ, −sin φ], [sin φ, cos φ]], R(m) = blockdiag(R₂(mθ_i)).

* ``rope.relative``:     R₂(a)ᵀR₂(b) = R₂(b − a), so ⟨R(m)q, R(n)k⟩ = qᵀR(n−m)k — the score depends
                          on n − m only. Exports ``relative_score(q₁,q₂,k₁,k₂,φ) = qᵀR₂(φ)k``.
* ``rope.orthogonal``:   R₂(φ)ᵀR₂(φ) = I — the norm is kept (times the attention factor).
* ``rope.identity``:     R₂(0) = I — position 0 leaves x unchanged.
* ``rope.composition``:  R₂(a)R₂(b) = R₂(a + b) — rotating by a then b equals rotating by a + b.
* ``rope.partial``:      blockdiag(R, I)·[x_r; x_p] = [R x_r; x_p] — dims past rotary_dim pass through.
* ``rope.long_term_decay``: Abel summation (RoFormer §3.4.3): with S_j = Σ_{k<j} e^{iφ_k},
  h_{d/2} = 0:  Σ_i h_i e^{iφ_i} = −Σ_i S_{i+1}(h_{i+1} − h_i)  (verified for 1…6 pairs), hence
  |Σ h_i e^{iφ_i}| ≤ max_i |h_{i+1} − h_i| · Σ_i |S_{i+1}|. Exports that bound.
"""

from __future__ import annotations

import numpy as np
import sympy

from proofs import Derivation, exported, lambdify

a, b, phi = sympy.symbols("a b phi", real=True)
q1, q2, k1, k2 = sympy.symbols("q1 q2 k1 k2", real=True)


def R2(angle):
    return sympy.Matrix([[sympy.cos(angle), -sympy.sin(angle)], [sympy.sin(angle), sympy.cos(angle)]])


Q, K = sympy.Matrix([q1, q2]), sympy.Matrix([k1, k2])
SCORE = (Q.T * R2(phi) * K)[0]

RELATIVE = Derivation(
    "rope.relative",
    "⟨R₂(a)q, R₂(b)k⟩ = qᵀR₂(b−a)k, from R₂(a)ᵀR₂(b) = R₂(b−a)",
    [R2(a).T * R2(b) - R2(b - a), ((R2(a) * Q).T * (R2(b) * K))[0] - SCORE.subs(phi, b - a)],
    steps=(
        ("Multiply the blocks; the entries are the angle-difference formulas.",
         (r"R_2(a)^{\mathsf T} R_2(b)", sympy.MatMul(R2(a).T, R2(b), evaluate=False), R2(a).T * R2(b), r"R_2(b-a)",
          R2(b - a))),
        ("So a query rotated to position a and a key rotated to b score like q, k at relative angle b − a.",
         (r"\langle R_2(a)q, R_2(b)k \rangle", ((R2(a) * Q).T * (R2(b) * K))[0],
          sympy.MatMul(Q.T, R2(b - a), K, evaluate=False))),
    ),
)
ORTHOGONAL = Derivation(
    "rope.orthogonal", "R₂(φ)ᵀR₂(φ) = I", R2(phi).T * R2(phi) - sympy.eye(2),
    steps=(("sin² + cos² = 1 on the diagonal, the cross terms cancel.",
            (r"R_2(\phi)^{\mathsf T} R_2(\phi)", sympy.MatMul(R2(phi).T, R2(phi), evaluate=False),
             R2(phi).T * R2(phi), sympy.eye(2))),),
)
IDENTITY = Derivation(
    "rope.identity", "R₂(0) = I", R2(0) - sympy.eye(2),
    steps=(("cos 0 = 1, sin 0 = 0.", (r"R_2(0)", R2(sympy.UnevaluatedExpr(0)), sympy.eye(2))),),
)
COMPOSITION = Derivation(
    "rope.composition", "R₂(a)R₂(b) = R₂(a+b)", R2(a) * R2(b) - R2(a + b),
    steps=(("Multiply; the entries are the angle-addition formulas.",
            (r"R_2(a) R_2(b)", sympy.MatMul(R2(a), R2(b), evaluate=False), R2(a) * R2(b), r"R_2(a+b)", R2(a + b))),),
)

_xr = sympy.Matrix(sympy.symbols("r0:2", real=True))
_xp = sympy.Matrix(sympy.symbols("p0:2", real=True))
PARTIAL = Derivation(
    "rope.partial",
    "blockdiag(R₂(φ), I)·[x_r; x_p] = [R₂(φ)x_r; x_p]",
    sympy.diag(R2(phi), sympy.eye(2)) * sympy.Matrix.vstack(_xr, _xp) - sympy.Matrix.vstack(R2(phi) * _xr, _xp),
    steps=(("Two rotated dims r, two passed-through dims p: the identity block copies p.",
            (sympy.MatMul(sympy.diag(R2(phi), sympy.eye(2)), sympy.Matrix.vstack(_xr, _xp), evaluate=False),
             sympy.Matrix.vstack(R2(phi) * _xr, _xp))),),
)


def abel_rhs(h, phases_exp):
    """−Σ_i S_{i+1}(h_{i+1} − h_i), S_j = Σ_{k<j} e^{iφ_k}, h_n = 0, on the last axis.

    Written once for NumPy arrays; the derivation evaluates it on object arrays of SymPy symbols.
    """
    partial_sums = np.cumsum(phases_exp, axis=-1)  # S_1 … S_n
    h_next = np.concatenate([h[..., 1:], np.zeros_like(h[..., :1])], axis=-1)
    return -(partial_sums * (h_next - h)).sum(-1)


def _abel_sides(n):
    """(Σ h_i z_i, −Σ S_{i+1}(h_{i+1} − h_i)) for n pairs; z_i stands for e^{iφ_i}."""
    h = np.array(sympy.symbols(f"h0:{n}"), dtype=object)
    z = np.array(sympy.symbols(f"z0:{n}"), dtype=object)
    return (h * z).sum(), abel_rhs(h, z)


LONG_TERM_DECAY = Derivation(
    "rope.long_term_decay",
    "Σ h_i z_i = −Σ S_{i+1}(h_{i+1} − h_i) (summation by parts, 1…6 pairs) ⇒ |Σ h_i z_i| ≤ max|Δh|·Σ|S_{i+1}|",
    [sympy.expand(lhs - rhs) for lhs, rhs in map(_abel_sides, range(1, 7))],
    steps=((("Three pairs (S₁ = z₀, S₂ = z₀ + z₁, S₃ = z₀ + z₁ + z₂, h₃ = 0); the triangle inequality on the "
             "right-hand side then gives the bound."), (r"\sum_i h_i z_i", *_abel_sides(3))),),
)


@exported
def relative_score():
    """qᵀR₂(φ)k for pair coordinates (q₁, q₂), (k₁, k₂) and relative phase φ (vectorised)."""
    return lambdify((q1, q2, k1, k2, phi), SCORE)


def long_term_decay_bound(h, phases):
    """max_i |h_{i+1} − h_i| · Σ_i |S_{i+1}| for complex ``h`` and real ``phases`` on the last axis."""
    h_next = np.concatenate([h[..., 1:], np.zeros_like(h[..., :1])], axis=-1)
    partial_sums = np.cumsum(np.exp(1j * phases), axis=-1)
    return np.abs(h_next - h).max(-1) * np.abs(partial_sums).sum(-1)
