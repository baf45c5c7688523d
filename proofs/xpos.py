r"""xPos derivations (Sun et al. 2022, "A Length-Extrapolatable Transformer", arXiv 2212.10554, §3.2).

A pair of frequency θ and scale ζ (ζ_i = (2i/d + γ)/(1 + γ), γ = 0.4, B = scale_base):
f_q(q, m) = ζ^(m/B)·R₂(mθ)q, f_k(k, n) = ζ^(−n/B)·R₂(nθ)k.

* ``xpos.relative``: ⟨f_q(q, m), f_k(k, n)⟩ = ζ^((m−n)/B)·qᵀR₂((n−m)θ)k — the score depends on n − m
  only (the scales multiply to ζ^((m−n)/B), the rotations to R₂((n−m)θ), ``rope.relative``), so shifting
  both positions by t changes nothing, and at m = n the score is qᵀk. For a key behind its query
  (m > n) and ζ < 1 the factor decays. Exports ``relative_score(q₁,q₂,k₁,k₂,φ,e)`` = exp(e)·qᵀR₂(φ)k
  with e = (m−n)·ln ζ/B.
* ``xpos.zeta``: ζ_i = (2i/d + γ)/(1 + γ) at γ = 2/5 is the rational (10i + 2d)/(7d): ζ_0 = 2/7 for
  every d, and 0 < ζ_i < 1 for i < d/2 (ζ_{d/2} would be 1). Exports ``zeta(i, d)``.
* ``xpos.overflow``: |ζ_0^(∓|m|/B)·c| ≤ M ⇔ |m| ≤ B·ln(M/c)/(−ln ζ_0) (ζ_0 is the smallest ζ, so
  its power is the largest): for B = 512, c = 1 and float16's M = 65504, |m| ≤ 4532.4. A key at m > 0
  or a query at m < 0 past that point overflows however it is computed. Exports ``overflow_position``.
"""

from __future__ import annotations

import sympy
from sympy import Rational, exp, log

from proofs import Derivation, exported, lambdify
from proofs.rope import R2, SCORE, K, Q, k1, k2, phi, q1, q2

m, n, B, zeta_, theta, M, c = sympy.symbols("m n B zeta theta M c", positive=True)
i, d = sympy.symbols("i d", positive=True)
e = sympy.symbols("e", real=True)
GAMMA = Rational(2, 5)

QUERY = zeta_ ** (m / B) * R2(m * theta) * Q
KEY = zeta_ ** (-n / B) * R2(n * theta) * K
DECAYED = exp(e) * SCORE

SCALES = zeta_ ** (m / B) * zeta_ ** (-n / B)
ROTATED = ((R2(m * theta) * Q).T * (R2(n * theta) * K))[0]
RELATIVE = Derivation(
    "xpos.relative",
    "⟨ζ^(m/B)R₂(mθ)q, ζ^(−n/B)R₂(nθ)k⟩ = ζ^((m−n)/B)·qᵀR₂((n−m)θ)k: a function of n − m only",
    [(QUERY.T * KEY)[0] - SCALES * ROTATED, sympy.powsimp(SCALES) - zeta_ ** ((m - n) / B),
     ROTATED - SCORE.subs(phi, (n - m) * theta),
     DECAYED.subs(e, (m - n) * log(zeta_) / B) - zeta_ ** ((m - n) / B) * SCORE],
    steps=(
        ("The query's and the key's scales multiply to one power of ζ.", (SCALES, zeta_ ** ((m - n) / B))),
        ("The rotations compose as in rope.relative, so the score is the RoPE score at n − m, decayed.",
         (r"\langle f_q(q,m), f_k(k,n) \rangle", r"\zeta^{(m-n)/B}\,(R_2(m\theta)q)^{\mathsf T} R_2(n\theta)k",
          zeta_ ** ((m - n) / B) * SCORE.subs(phi, (n - m) * theta))),
    ),
)

ZETA = (2 * i / d + GAMMA) / (1 + GAMMA)
ZETA_RATIONAL = (10 * i + 2 * d) / (7 * d)
ZETA_DERIVATION = Derivation(
    "xpos.zeta",
    "ζ_i = (2i/d + 2/5)/(7/5) = (10i + 2d)/(7d); ζ_0 = 2/7; ζ at i = d/2 would be 1",
    [ZETA - ZETA_RATIONAL, ZETA.subs(i, 0) - Rational(2, 7), ZETA.subs(i, d / 2) - 1],
    steps=(("γ = 0.4 = 2/5.", (ZETA, ZETA_RATIONAL)),
           ("The first pair has the strongest decay, whatever d.", (ZETA.subs(i, 0), Rational(2, 7)))),
)

OVERFLOW_AT = B * (log(M) - log(c)) / (-log(zeta_))
OVERFLOW = Derivation(
    "xpos.overflow",
    "c·ζ^(−m/B) = M at m = B·ln(M/c)/(−ln ζ) (ζ < 1): past it the scaled value exceeds M",
    [sympy.simplify(c * zeta_ ** (-OVERFLOW_AT / B) - M)],
    steps=(("Solve c·ζ^(−m/B) = M for m.", (c * zeta_ ** (-OVERFLOW_AT / B), M)),),
)


@exported
def relative_score():
    """(q₁, q₂, k₁, k₂, φ, e) ↦ exp(e)·qᵀR₂(φ)k: the xPos score with φ = (n−m)θ and e = (m−n)·ln ζ/B."""
    return lambdify((q1, q2, k1, k2, phi, e), DECAYED)


@exported
def zeta():
    """(i, d) ↦ ζ_i = (10i + 2d)/(7d)."""
    return lambdify((i, d), ZETA_RATIONAL)


@exported
def overflow_position():
    """(B, ζ_0, M, c) ↦ the |m| at which c·ζ_0^(−|m|/B) reaches M."""
    return lambdify((B, zeta_, M, c), OVERFLOW_AT)
