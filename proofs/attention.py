r"""Attention derivations: what is exact about out_i = Σ_j softmax(s_i)_j·v_j with a positional bias (``spec.attention``).

Scores s_j = scale·q·k_j + b_j of one query over three keys (enough for every identity below: each is a statement
about one row, whatever its length), values v_j; ALiBi slope m, query position q, key position k.

* ``attention.row_constant``: out(s + c) = out(s) for a per-row constant c (exp(c) cancels in the normalisation).
  Under a causal mask (k ≤ q) the key-only bias m·k (flash-attn's causal path, Bloom) is the one-sided −m(q − k)
  plus the row constant m·q, and so is the symmetric −m|q − k| (``alibi.bias``): the three give one output. Without
  the mask they differ: for a key at k = q + t after the query, key-only minus symmetric is m·q + 2m·t, which grows
  by 2m per key — not a row constant (ofirpress/attention_with_linear_biases#5). Exports ``key_only_bias(m, k)``.
* ``attention.invisible_keys``: a key at s = −∞ adds exp(−∞) = 0 to the numerator and the denominator: the output
  is that of the visible keys alone, whatever the invisible key's k and v. Exports ``causal_visible(q, k)``.
* ``attention.chunk_positions``: queries a … b − 1 of L against the first S' = S − L + b of S keys, positions by
  default (bottom-right): the chunk's query t sits at S' − (b − a) + t = (S − L) + (a + t), its position in the full
  call, and its last query at S' − 1, the last key kept — so under a causal mask it sees exactly the keys it saw in
  the full call (chunked prefill, a KV-cache decode at b = L). Exports ``chunk_key_length(L, S, b)``.
* ``attention.shift``: moving every query and key position by t moves nothing the op reads: |(q + t) − (k + t)| =
  |q − k| (ALiBi), (k + t) − (q + t) = k − q (T5's relative position, and the causal test k − q ≤ 0). Exports
  ``shifted(positions, t)``.
* ``attention.identical_keys``: equal scores in a row (identical keys; q = 0 without a bias) give p_j = 1/n: the
  output is the mean of the n visible values. Exports ``uniform_probability(n)``.
* ``attention.identical_values``: v_j = w for every visible key gives out = w·Σ_j p_j = w, whatever the scores.
* ``attention.probe``: q = 0 and one-hot values (v_j = e_j) read the probabilities out_j = p_j = softmax(b)_j, so
  log p_j − log p_j' = b_j − b_j': with ALiBi, the key at the query's own position against a key at distance d gives
  (log p_own − log p_far)/d = m, each head's slope; with T5 the differences are the table's. Exports
  ``probe_slope(log_own, log_far, d)`` and ``probe_bias(log_p, log_own)``.
* ``attention.scale_commutes``: scale·(q·k) + b = ((scale·q)·k)·1 + b: attention(q, scale=c) = attention(c·q,
  scale=1) for the same bias. A kernel that scales the bias with the scores computes c·(q·k + b), which differs by
  (c − 1)·b. Exports ``prescaled(q, c)``.
* ``attention.gqa``: with g = heads/kv_heads, query head h = g·j + r (0 ≤ r < g) reads KV head ⌊h/g⌋ = j — the KV
  heads repeated g times each, in order (``repeat_interleave``), not tiled (``repeat``, head h mod kv_heads); checked
  for g ∈ {1, 2, 3, 4, 8}. Exports ``kv_head(h, g)``.
"""

from __future__ import annotations

import sympy
from sympy import Abs, exp, floor, log, oo

from proofs import Derivation, exported, lambdify

z1, z2, z3, c, w, t, m, scale, dot, b = sympy.symbols("z1 z2 z3 c w t m scale dot b", real=True)
v1, v2, v3 = sympy.symbols("v1 v2 v3", real=True)
query, key, shift = sympy.symbols("q k t", integer=True)
d1, d2 = sympy.symbols("d1 d2", positive=True)
L, S, a, end, index = sympy.symbols("L S a b t", integer=True)
head, group, kv = sympy.symbols("h g j", integer=True, nonnegative=True)
n = sympy.symbols("n", positive=True, integer=True)


def softmax(scores):
    total = sum(exp(s) for s in scores)
    return [exp(s) / total for s in scores]


def output(scores, values):
    return sum(p * value for p, value in zip(softmax(scores), values))


VALUES = (v1, v2, v3)
SCORES = (z1, z2, z3)
KEY_ONLY = m * key
ONE_SIDED = -m * (query - key)
SYMMETRIC = -m * Abs(query - key)
after = sympy.Symbol("t", positive=True)  # a key after the query: k = q + t
GAP_AFTER = KEY_ONLY.subs(key, query + after) - SYMMETRIC.subs(key, query + after)
ROW_CONSTANT = Derivation(
    "attention.row_constant",
    "out(s + c) = out(s); under k ≤ q: m·k = −m(q − k) + m·q; for k = q + t > q: m·k − (−m|q − k|) = m·q + 2m·t",
    [output([s + c for s in SCORES], VALUES) - output(SCORES, VALUES),
     KEY_ONLY - (ONE_SIDED + m * query),
     sympy.diff(GAP_AFTER, after) - 2 * m],
    steps=(
        ("exp(c) multiplies every term of the numerator and of the denominator.",
         (output([s + c for s in SCORES], VALUES), r"\frac{e^{c}\,\sum_j v_j e^{z_j}}{e^{c}\,\sum_j e^{z_j}}",
          output(SCORES, VALUES))),
        ("Key-only is one-sided plus the row constant m·q.", (KEY_ONLY, ONE_SIDED + m * query)),
        ("After the query (k = q + t, t > 0) |q − k| = t: key-only minus symmetric is m·q + 2m·t, not constant in t.",
         (GAP_AFTER, m * query + 2 * m * after)),
    ),
)

INVISIBLE_KEYS = Derivation(
    "attention.invisible_keys",
    "a key at s = −∞ changes nothing: out(z₁, z₂, −∞; v₁, v₂, v₃) = out(z₁, z₂; v₁, v₂)",
    [output([z1, z2, -oo], VALUES) - output([z1, z2], [v1, v2])],
    steps=(("exp(−∞) = 0 in the numerator and the denominator.",
            (output([z1, z2, -oo], VALUES), output([z1, z2], [v1, v2]))),),
)

CHUNK_KEYS = S - L + end
CHUNK_QUERY = CHUNK_KEYS - (end - a) + index
CHUNK_POSITIONS = Derivation(
    "attention.chunk_positions",
    "S' = S − L + b: the chunk's query t sits at S' − (b − a) + t = (S − L) + (a + t); its last at S' − 1",
    [CHUNK_QUERY - ((S - L) + (a + index)), CHUNK_QUERY.subs(index, end - a - 1) - (CHUNK_KEYS - 1)],
    steps=(("Bottom-right in the chunk call: its b − a queries are the last of its S' keys.",
            (CHUNK_QUERY, (S - L) + (a + index))),),
)

SHIFT = Derivation(
    "attention.shift",
    "|(q + t) − (k + t)| = |q − k|; (k + t) − (q + t) = k − q",
    [SYMMETRIC.subs({query: query + shift, key: key + shift}) - SYMMETRIC,
     ((key + shift) - (query + shift)) - (key - query)],
)

IDENTICAL_KEYS = Derivation(
    "attention.identical_keys",
    "equal scores: p_j = 1/n, out = (v₁ + v₂ + v₃)/3 for n = 3",
    [*(p - sympy.Rational(1, 3) for p in softmax([z1, z1, z1])), output([z1, z1, z1], VALUES) - sum(VALUES) / 3],
    steps=(("exp(z) cancels.", (softmax([z1, z1, z1])[0], sympy.Rational(1, 3))),),
)

IDENTICAL_VALUES = Derivation(
    "attention.identical_values",
    "v_j = w for every key: out = w Σ_j p_j = w",
    [output(SCORES, [w, w, w]) - w],
)

PROBE_BIAS = [-m * 0, -m * d1, -m * d2]  # the query's own key, and two keys at distances d1, d2
PROBE_P = softmax(PROBE_BIAS)
PROBE = Derivation(
    "attention.probe",
    "q = 0, v_j = e_j: out_j = softmax(b)_j; p_own = p_far·exp(m·d), i.e. (log p_own − log p_far)/d = m, for ALiBi's b = −m·distance",
    [PROBE_P[0] - PROBE_P[1] * exp(m * d1), output(PROBE_BIAS, (1, 0, 0)) - PROBE_P[0]],
    steps=(("The normaliser cancels in the difference of logarithms.",
            (log(PROBE_P[0]) - log(PROBE_P[1]), m * d1)),),
)

SCALE_COMMUTES = Derivation(
    "attention.scale_commutes",
    "scale·(q·k) + b = ((scale·q)·k)·1 + b; a scaled bias differs by (scale − 1)·b",
    [scale * dot + b - ((scale * dot) * 1 + b), scale * (dot + b) - (scale * dot + b) - (scale - 1) * b],
)

_GROUPS = (1, 2, 3, 4, 8)
GQA = Derivation(
    "attention.gqa",
    "h = g·j + r, 0 ≤ r < g: ⌊h/g⌋ = j (checked for g ∈ {1, 2, 3, 4, 8})",
    [floor((g * kv + r) / g) - kv for g in _GROUPS for r in range(g)],
    steps=(("g = 4, r = 3: the fourth query head of group j.", (floor((4 * kv + 3) / 4), kv)),),
)


@exported
def key_only_bias():
    """(m, k) ↦ m·k, flash-attn's and Bloom's causal ALiBi (−m(q − k) plus the row constant m·q)."""
    return lambdify((m, key), KEY_ONLY)


@exported
def causal_visible():
    """(q, k) ↦ k ≤ q: the keys a query sees under a causal mask."""
    return lambdify((query, key), sympy.Le(key, query))


@exported
def chunk_key_length():
    """(L, S, b) ↦ S − L + b, the keys a chunk of queries ending at b needs (bottom-right)."""
    return lambdify((L, S, end), CHUNK_KEYS)


@exported
def shifted():
    """(positions, t) ↦ positions + t."""
    return lambdify((query, shift), query + shift)


@exported
def uniform_probability():
    """n ↦ 1/n, each visible key's probability when every score of the row is equal."""
    return lambdify((n,), 1 / n)


@exported
def probe_slope():
    """(log p_own, log p_far, d) ↦ (log p_own − log p_far)/d: the slope of an ALiBi head read by the q = 0 probe."""
    own, far = sympy.symbols("log_own log_far", real=True)
    return lambdify((own, far, d1), (own - far) / d1)


@exported
def probe_bias():
    """(log p, log p_own) ↦ log p − log p_own: the bias of a key less that of the query's own key, read by the probe."""
    read, own = sympy.symbols("log_p log_own", real=True)
    return lambdify((read, own), read - own)


@exported
def prescaled():
    """(q, c) ↦ c·q: the query that carries the scale (exact for c a power of 2)."""
    return lambdify((dot, scale), scale * dot)


@exported
def kv_head():
    """(h, g) ↦ ⌊h/g⌋: the KV head query head h reads."""
    return lambdify((head, group), floor(head / group))
