r"""T5 relative-bucket derivations (Raffel et al. 2020, §2.1; mesh-tensorflow's bucket function).

Log region, with E = max_exact, D = max_distance, B = buckets − E: x(n) = B·ln(n/E)/ln(D/E),
bucket = E + ⌊x(n)⌋ capped at buckets − 1.

* ``t5.continuity``:  x(E) = 0 — the log region starts where the exact region ends (bucket E at n = E).
* ``t5.monotone``:    dx/dn = B/(n·ln(D/E)) > 0 — buckets never decrease with distance.
* ``t5.threshold``:   x(n) = j ⇔ n = E·(D/E)^(j/B): the smallest distance of log bucket E + j.
                       The cap buckets − 1 = E + (B − 1) is reached from n = ⌈E·(D/E)^((B−1)/B)⌉ on,
                       *before* max_distance. Exports ``threshold(j, E, D, B)``.
"""

from __future__ import annotations

import sympy

from proofs import Derivation, exported, lambdify

n_, E, D, B, j = sympy.symbols("n E D B j", positive=True)
X = B * sympy.log(n_ / E) / sympy.log(D / E)
THRESHOLD = sympy.solve(sympy.Eq(X, j), n_)[0]

CONTINUITY = Derivation(
    "t5.continuity", "x(E) = 0", X.subs(n_, E),
    steps=(("The log coordinate of a distance n past the exact region.", ("x(n)", X)),
           ("At n = E: ln 1 = 0.", ("x(E)", X.subs(n_, E)))),
)
MONOTONE = Derivation(
    "t5.monotone",
    "dx/dn = B/(n ln(D/E)) (positive for D > E)",
    sympy.diff(X, n_) - B / (n_ * sympy.log(D / E)),
    steps=(("Differentiate.", (sympy.Derivative(X, n_), sympy.diff(X, n_), B / (n_ * sympy.log(D / E)))),),
)
THRESHOLD_DERIVATION = Derivation(
    "t5.threshold",
    "x(n) = j ⇔ n = E·(D/E)^(j/B)",
    [sympy.expand_log(X.subs(n_, THRESHOLD) - j, force=True), THRESHOLD - E * (D / E) ** (j / B)],
    steps=(("Solve x(n) = j for n (SymPy's solve).", (sympy.Eq(X, j),)),
           ("The solution.", ("n", THRESHOLD, E * (D / E) ** (j / B))),
           ("Substituted back (logs expanded: all symbols positive).",
            ("x(n)", sympy.expand_log(X.subs(n_, THRESHOLD), force=True), j))),
)


@exported
def threshold():
    """(j, E, D, B) ↦ E·(D/E)^(j/B), the real distance at which log bucket E + j begins."""
    return lambdify((j, E, D, B), THRESHOLD)
