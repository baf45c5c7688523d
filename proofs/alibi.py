r"""ALiBi derivations (Press et al. 2022, §3 and the reference code's slope rule).

Slopes for n a power of two: m_h = 2^(−8h/n), h = 1…n.

* ``alibi.geometric``:  m_{h+1}/m_h = 2^(−8/n) = m_1 (first term = ratio), and
                         Π_h m_h = 2^(−4(n+1)) (Σ_{h=1}^n 8h/n = 4(n+1)). Exports ``power_of_two_slope(h, n)``
                         and ``slope_product(n)``.
* ``alibi.nesting``:    m_{2h}(2n) = m_h(n): slopes(n) = slopes(2n)[1::2] for n a power of two.
* ``alibi.interleave``: other n, P = 2^⌊log₂n⌋: the extra heads are slopes(2P)[0::2], i.e.
                         m(2P)_{2j+1} = 2^(−4(2j+1)/P), j = 0…n−P−1 — the odd steps halfway between
                         slopes(P). Exports ``interleaved_slope(j, P)``.
* ``alibi.softmax_shift``: softmax(z + c) = softmax(z): a per-row constant is invisible, so the
                         key-only form m·j (Bloom) equals −m(i − j) up to the row constant −m·i.
* ``alibi.bias``:       causal entry −m(i − j) = m·j − m·i; symmetric entry −m|i − j|, even in i − j.
                         Exports ``causal_bias(m, i, j)`` and ``symmetric_bias(m, i, j)``.
"""

from __future__ import annotations

import sympy

from proofs import Derivation, exported, lambdify

h, n, j, P = sympy.symbols("h n j P", positive=True, integer=True)
m, i, key, c, z1, z2 = sympy.symbols("m i key c z1 z2", real=True)


def slope(index, heads):
    return sympy.Integer(2) ** (-8 * index / heads)


PRODUCT = sympy.Integer(2) ** (-sympy.summation(8 * h / n, (h, 1, n)))
GEOMETRIC = Derivation(
    "alibi.geometric",
    "m_{h+1}/m_h = 2^(−8/n) = m_1;  Π_{h=1}^{n} m_h = 2^(−4(n+1))",
    [sympy.powsimp(slope(h + 1, n) / slope(h, n)) - slope(1, n), sympy.powsimp(PRODUCT) - sympy.Integer(2) ** (-4 * (n + 1))],
    steps=(
        ("Consecutive slopes: the exponents differ by 8/n.",
         (r"m_{h+1}/m_h", slope(h + 1, n) / slope(h, n), sympy.powsimp(slope(h + 1, n) / slope(h, n)), "m_1")),
        ("The product adds the exponents: Σ_{h=1}^{n} 8h/n = 4(n + 1).",
         (r"\prod_{h=1}^{n} m_h", sympy.Integer(2) ** (-sympy.Sum(8 * h / n, (h, 1, n))),
          sympy.Integer(2) ** (-4 * (n + 1)))),
    ),
)
NESTING = Derivation(
    "alibi.nesting", "m_{2h}(2n) = m_h(n)", slope(2 * h, 2 * n) - slope(h, n),
    steps=(("Doubling the heads halves the exponent step; every second slope is an old one.",
            (r"m_{2h}(2n) = 2^{-8 \cdot 2h/(2n)}", slope(2 * h, 2 * n), "m_h(n)")),),
)
INTERLEAVED_SLOPE = slope(2 * j + 1, 2 * P)
INTERLEAVE = Derivation(
    "alibi.interleave",
    "slopes(2P)[0::2][j] = m_{2j+1}(2P) = 2^(−4(2j+1)/P), the geometric mean of m_j(P) and m_{j+1}(P)",
    [INTERLEAVED_SLOPE - sympy.Integer(2) ** (-4 * (2 * j + 1) / P),
     sympy.powsimp(INTERLEAVED_SLOPE**2 - slope(j, P) * slope(j + 1, P))],
)


def _softmax(values):
    total = sum(sympy.exp(v) for v in values)
    return [sympy.exp(v) / total for v in values]


CAUSAL = -m * (i - key)
SYMMETRIC = -m * sympy.Abs(i - key)
SOFTMAX_SHIFT = Derivation(
    "alibi.softmax_shift",
    "softmax(z + c) = softmax(z); −m(i − j) = m·j + (−m·i)",
    [*(a - b for a, b in zip(_softmax([z1 + c, z2 + c]), _softmax([z1, z2]))), CAUSAL - (m * key - m * i)],
)
_distance = sympy.Symbol("t", nonnegative=True)  # i − j for a key j ≤ i
BIAS = Derivation(
    "alibi.bias",
    "symmetric bias −m|i−j| is even in i − j and equals the causal one for j ≤ i",
    [SYMMETRIC - SYMMETRIC.subs({i: key, key: i}, simultaneous=True),
     SYMMETRIC.subs(key, i - _distance) - CAUSAL.subs(key, i - _distance)],
    steps=(("A key j = i − t at or before the query (t ≥ 0): |i − j| = t = i − j.",
            (r"-m\,|i - j|", SYMMETRIC.subs(key, i - _distance), CAUSAL.subs(key, i - _distance), r"-m\,(i - j)")),),
)


@exported
def power_of_two_slope():
    return lambdify((h, n), slope(h, n))


@exported
def interleaved_slope():
    return lambdify((j, P), INTERLEAVED_SLOPE)


@exported
def slope_product():
    return lambdify((n,), sympy.Integer(2) ** (-4 * (n + 1)))


@exported
def causal_bias():
    return lambdify((m, i, key), CAUSAL)


@exported
def symmetric_bias():
    return lambdify((m, i, key), SYMMETRIC)
