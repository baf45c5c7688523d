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
* ``mrope.next_start``: Qwen's ``get_rope_index`` starts each segment at s = 1 + the largest position so far; a
  segment's entries are s plus offsets ≥ 0 whose minimum is 0 (text's i = 0, a grid's frame 0, row 0, column 0),
  so segments never overlap and positions(A + B) = [positions(A), positions(B) + max(positions(A)) + 1]. The
  other rule in circulation (Hugging Face 5.x: s += max(H, W)/m after a grid) gives the same start exactly when
  ⌊(T − 1)·interval⌋ + 1 ≤ max(H, W)/m — always for an image (T = 1), not for a video whose frames span more
  than its larger side (checked for every T, interval, H/m, W/m up to 6). Exports ``next_start(rows)``.
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


frames, side = sympy.symbols("T S", integer=True, positive=True)  # S = max(H, W)/m
interval = sympy.Symbol("i", positive=True)  # tokens_per_second × seconds_per_grid: any real
#: Where the last grid's largest entry ends relative to its start s: max(⌊(T − 1)·i⌋, S − 1).
GRID_SPAN = sympy.Max(floor((frames - 1) * interval), side - 1)


def _rule_residuals():
    """(reference start − grid-rule start == 0) ⇔ ⌊(T − 1)·i⌋ + 1 ≤ S, for every small grid and interval."""
    out = []
    for t in range(1, 7):
        for step in (sympy.Rational(1, 2), 1, sympy.Rational(3, 2), 2, 25):
            for s_ in range(1, 7):
                values = {frames: t, interval: step, side: s_}
                agree = (GRID_SPAN + 1).subs(values) == s_
                out.append(sympy.Integer(int(agree) - int(bool(floor((t - 1) * step) + 1 <= s_))))
    return out


NEXT_START = Derivation(
    "mrope.next_start",
    "each segment starts at 1 + the largest position so far, so positions(A + B) = [positions(A), positions(B) + "
    "max(positions(A)) + 1]; the grid rule s + max(H, W)/m agrees exactly when ⌊(T − 1)·interval⌋ + 1 ≤ max(H, W)/m",
    _rule_residuals(),
    steps=(
        ("A grid's largest entry after its start s:", (r"\max_{k,r,c}(\lfloor k\,i\rfloor, r, c)", GRID_SPAN)),
        ("An image (T = 1): the span is S − 1, so both rules start the next segment at s + S.",
         (GRID_SPAN.subs(frames, 1) + 1, side)),
        ("Variants.md's worked video (T = 3, interval 2, S = 2): the reference starts 5 after s, the grid rule 2.",
         ((GRID_SPAN + 1).subs({frames: 3, interval: 2, side: 2}), 5)),
    ),
)


@exported
def next_start():
    """rows ``[3, n]`` ↦ the start of the segment after them: 1 + their largest entry."""
    return lambda rows: int(max(int(row.max()) for row in rows)) + 1
