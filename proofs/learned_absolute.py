r"""Learned absolute positions: why only structure can be checked.

PE(p) = W[p] for a trained matrix W. A relational property would be an identity F(W[p], W[q], p, q)
= 0 holding for *every* W; but the rows of W are independent free parameters, so for any fixed p ≠ q
the pair (W[p], W[q]) takes every value in ℝ^d × ℝ^d — no such F exists except one ignoring W.
``learned_absolute.lookup`` records the only identity: selecting row p with the one-hot vector e_p,
e_pᵀW = W[p]. The checks are therefore structural: exact row copies, and positions outside the table
rejected with a clear error (a silent clamp or wrap-around would be a wrong answer).
"""

from __future__ import annotations

import sympy

from proofs import Derivation

W = sympy.Matrix(3, 2, sympy.symbols("w0:6", real=True))
LOOKUP = Derivation(
    "learned_absolute.lookup",
    "e_pᵀ W = W[p] (the one-hot selection of row p), shown for a 3×2 table",
    [sympy.Matrix([[1 if col == row else 0 for col in range(3)]]) * W - W[row, :] for row in range(3)],
    steps=(("Row p = 1.", (r"e_1^{\mathsf T} W", sympy.MatMul(sympy.Matrix([[0, 1, 0]]), W, evaluate=False), "W[1]",
                           W[1, :])),),
)
