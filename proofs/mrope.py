r"""Multi-axis RoPE derivations (M-RoPE: Qwen2-VL, Wang et al. 2024 §2.1; interleaved: Qwen3-VL).

Each frequency pair i follows one row a(i) ∈ {t, h, w} of a token's position vector P = (P_t, P_h, P_w):
its rotation is R₂(P_{a(i)}·θ_i) (``spec.rope_parameters.mrope_axes`` is a).

* ``mrope.relative``: per pair ⟨R₂(P_a θ)q, R₂(Q_a θ)k⟩ = qᵀR₂((Q_a − P_a)θ)k (``rope.relative``), so a score
  depends on the position-vector difference Q − P only; with P_t = P_h = P_w = p (text) every pair rotates
  by p·θ_i: exactly 1-D RoPE at p. The tests evaluate ``rope.relative_score`` with each pair's own row difference.
* ``mrope.disjoint_bands``: ∂R₂(P_a θ)/∂P_b = 0 for b ≠ a: moving one row moves only its pairs.
* ``mrope.interleaved_counts``: Qwen3-VL's map gives h the pairs j ≡ 1 (mod 3) below min(3·s_h, n) and w
  those ≡ 2 below min(3·s_w, n) (n pairs): |h| = min(s_h, ⌊(n − 2)/3⌋ + 1), |w| = min(s_w, ⌊(n − 3)/3⌋ + 1),
  |t| = n − |h| − |w| — checked against the map itself for every section of n = 3 … 10 pairs and the shipped
  ones. So the counts are the nominal sections exactly when 3·s_h ≤ n + 1 and 3·s_w ≤ n (e.g. [3, 3, 2] on
  8 pairs is nominal although 3·max = 9 > 8); [8, 12, 12] on 32 gives 11/11/10, [16, 24, 24] on 64
  22/21/21, [24, 20, 20] on 64 24/20/20. Exports ``interleaved_counts(s_h, s_w, n)``.
"""

from __future__ import annotations

import sympy
from sympy import floor

from proofs import Derivation, exported
from proofs.rope import R2, SCORE, K, Q, phi
from spec.rope_parameters import mrope_axes

P_t, P_h, P_w, Q_t, Q_h, Q_w, theta = sympy.symbols("P_t P_h P_w Q_t Q_h Q_w theta", real=True)
p = sympy.symbols("p", real=True)
ROWS_P, ROWS_Q = (P_t, P_h, P_w), (Q_t, Q_h, Q_w)

RELATIVE = Derivation(
    "mrope.relative",
    "per pair of axis a: ⟨R₂(P_a θ)q, R₂(Q_a θ)k⟩ = qᵀR₂((Q_a − P_a)θ)k; t = h = w = p gives R₂(pθ) on every pair",
    [((R2(ROWS_P[a] * theta) * Q).T * (R2(ROWS_Q[a] * theta) * K))[0] - SCORE.subs(phi, (ROWS_Q[a] - ROWS_P[a]) * theta)
     for a in range(3)]
    + [R2(ROWS_P[a] * theta).subs({P_t: p, P_h: p, P_w: p}) - R2(p * theta) for a in range(3)],
    steps=(
        ("A pair following row h scores by its own row's difference (rope.relative, row by row).",
         (r"\langle R_2(P_h\theta)q, R_2(Q_h\theta)k\rangle", SCORE.subs(phi, (Q_h - P_h) * theta))),
        ("Text tokens have P_t = P_h = P_w = p: every pair rotates by pθ, plain RoPE.", (R2(P_w * theta).subs(P_w, p), R2(p * theta))),
    ),
)

DISJOINT_BANDS = Derivation(
    "mrope.disjoint_bands",
    "∂R₂(P_a θ)/∂P_b = 0 for b ≠ a: a row moves only the pairs that follow it",
    [sympy.diff(R2(ROWS_P[a] * theta), ROWS_P[b]) for a in range(3) for b in range(3) if a != b],
    steps=(("The t-pair's rotation does not contain P_h.", (r"\partial R_2(P_t\theta) / \partial P_h",
                                                           sympy.diff(R2(P_t * theta), P_h), sympy.zeros(2))),),
)

s_h, s_w, n = sympy.symbols("s_h s_w n", integer=True, nonnegative=True)
COUNT_H = sympy.Min(s_h, floor((n - 2) / 3) + 1)
COUNT_W = sympy.Min(s_w, floor((n - 3) / 3) + 1)
SHIPPED = ((16, 24, 24), (24, 20, 20), (8, 12, 12), (2, 3, 3), (3, 3, 2), (22, 22, 20))


def _sections():
    for pairs in range(3, 11):
        for t in range(pairs + 1):
            for h in range(pairs + 1 - t):
                yield (t, h, pairs - t - h)
    yield from SHIPPED


def _count(expr, sh, sw, pairs) -> int:
    """``expr`` at integers, exactly (a lambdified form would print (n − 2)/3 as float arithmetic)."""
    return int(expr.subs({s_h: sh, s_w: sw, n: pairs}))


def _count_residuals():
    """The count formulas minus the map's own counts, for every section."""
    out = []
    for section in _sections():
        pairs = sum(section)
        axes = mrope_axes(section, True, pairs)
        out += [sympy.Integer(_count(count, section[1], section[2], pairs) - axes.count(row))
                for count, row in ((COUNT_H, 1), (COUNT_W, 2))]
    return out


INTERLEAVED_COUNTS = Derivation(
    "mrope.interleaved_counts",
    "Qwen3-VL's interleaved map gives h min(s_h, ⌊(n−2)/3⌋+1) pairs and w min(s_w, ⌊(n−3)/3⌋+1): nominal only "
    "when 3·s_h ≤ n + 1 and 3·s_w ≤ n",
    _count_residuals(),
    steps=(
        ("[8, 12, 12] on 32 pairs: h is clamped to 11 …", (COUNT_H.subs({s_h: 12, n: 32}), 11)),
        ("… and w to 10 (t gets the rest, 11).", (COUNT_W.subs({s_w: 12, n: 32}), 10)),
        ("[24, 20, 20] on 64 pairs: nominal.", (COUNT_H.subs({s_h: 20, n: 64}), 20)),
    ),
)


@exported
def interleaved_counts():
    """(s_h, s_w, n) ↦ (|t|, |h|, |w|) of the interleaved map."""
    def counts(sh, sw, pairs):
        h, w = _count(COUNT_H, sh, sw, pairs), _count(COUNT_W, sh, sw, pairs)
        return pairs - h - w, h, w

    return counts
