r"""Sinusoidal derivations (Vaswani et al. 2017, §3.5: "PE_{pos+k} is a linear function of PE_pos").

For one frequency ω, v(p) = [sin pω, cos pω]:

* ``sinusoidal.shift``:  v(p + k) = M(kω)·v(p),  M(φ) = [[cos φ, sin φ], [−sin φ, cos φ]]; M is
  orthogonal, M(0) = I, M(a)M(b) = M(a+b), M(−φ) = M(φ)ᵀ. Exports ``shift_matrix(φ)``.
* ``sinusoidal.dot``:    v(p)·v(q) = cos((p − q)ω): the table's dot product depends on p − q only and
                          is even in it. Exports ``pair_dot(δ)`` (the simplified right-hand side).
* ``sinusoidal.norm``:   v(p)·v(p) = 1, so ‖PE(p)‖² = dim/2. Exports ``pair_norm_sq``.
"""

from __future__ import annotations

import sympy

from proofs import Derivation, exported, lambdify

p, k, q, w, a, b, phi, delta = sympy.symbols("p k q omega a b phi delta", real=True)


def v(position):
    return sympy.Matrix([sympy.sin(position * w), sympy.cos(position * w)])


def M(angle):
    return sympy.Matrix([[sympy.cos(angle), sympy.sin(angle)], [-sympy.sin(angle), sympy.cos(angle)]])


SHIFT = Derivation(
    "sinusoidal.shift",
    "PE(p+k) = M(kω)·PE(p) per frequency; M orthogonal, M(0) = I, M(a)M(b) = M(a+b), M(−φ) = M(φ)ᵀ",
    [v(p + k) - M(k * w) * v(p), M(phi).T * M(phi) - sympy.eye(2), M(0) - sympy.eye(2),
     M(a) * M(b) - M(a + b), M(-phi) - M(phi).T],
    steps=(
        ("One frequency ω, v(p) = [sin pω, cos pω]; the angle-addition formulas.",
         (r"M(k\omega)\, v(p)", sympy.MatMul(M(k * w), v(p), evaluate=False), M(k * w) * v(p), "v(p+k)", v(p + k))),
        ("M composes like a rotation (M(φ) = R₂(−φ)).",
         (r"M(a) M(b)", sympy.MatMul(M(a), M(b), evaluate=False), M(a) * M(b), "M(a+b)", M(a + b))),
    ),
)

PAIR_DOT = sympy.simplify((v(p).T * v(q))[0]).subs(p, q + delta / w)
DOT = Derivation(
    "sinusoidal.dot",
    "PE(p)·PE(q) = Σ_i cos((p−q)ω_i): relative only, even in p − q",
    [sympy.simplify(PAIR_DOT) - sympy.cos(delta), sympy.cos(delta) - sympy.cos(-delta)],
    steps=(
        ("The angle-difference formula.", (r"v(p) \cdot v(q)", (v(p).T * v(q))[0], sympy.cos((p - q) * w))),
        ("Even in δ = (p − q)ω.", (sympy.cos(-delta, evaluate=False), sympy.cos(delta))),
    ),
)

PAIR_NORM_SQ = sympy.simplify((v(p).T * v(p))[0])
NORM = Derivation(
    "sinusoidal.norm", "sin² + cos² = 1 per pair, so ‖PE(p)‖² = dim/2", PAIR_NORM_SQ - 1,
    steps=(("Each of the dim/2 pairs contributes 1.", (r"v(p) \cdot v(p)", (v(p).T * v(p))[0], PAIR_NORM_SQ)),),
)


@exported
def shift_matrix():
    """φ ↦ M(φ) as a ``[2, 2, *φ.shape]`` array."""
    return lambdify((phi,), M(phi))


@exported
def pair_dot():
    """δ = (p − q)ω ↦ v(p)·v(q)."""
    return lambdify((delta,), sympy.simplify(PAIR_DOT))


def pair_norm_sq() -> float:
    return float(PAIR_NORM_SQ)
