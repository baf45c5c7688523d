r"""Attention-scale derivations: where YaRN's temperature goes (DeepSeek-V2/V3) and Llama 4's position temperature.

mscale(s, k) = 0.1·k·ln s + 1 (``scaling.mscale``); D = the q·k head dim.

* ``attention_scale.deepseek_split``: DeepSeek puts af = mscale(s, k)/mscale(s, k_all) into cos/sin (so
  af² into every score) and mscale(s, k_all)² into the softmax scale; together a score is multiplied by
  af²·mscale(s, k_all)²/√D = mscale(s, k)²/√D — YaRN's temperature √(1/t) = mscale(s, k) on q and k,
  whatever k_all. Applying the softmax part without dividing cos/sin by mscale(s, k_all) (or the
  reverse) leaves a factor mscale(s, k_all)^(±2). Exports ``score_temperature(s, k)`` = mscale(s, k)².
* ``attention_scale.temperature_steps``: T(m) = 1 + a·ln(1 + ⌊(m + c)/F⌋), with c = 1 for Llama 4 and
  c = 0 for Ministral 3 (β, L0): constant on each run of F positions, first step at m = F − c, and the
  k-th at m = kF − c, where T = 1 + a·ln(1 + k); checked exactly for F ∈ {2, 3, 8192}, k ∈ {1, 2, 7}.
  Exports ``temperature(m, a, F, c)`` and ``step_position(k, F, c)``.
"""

from __future__ import annotations

import sympy
from sympy import floor, log

from proofs import Derivation, exported, lambdify
from proofs.scaling import MSCALE, k, k_all, s

D = sympy.symbols("D", positive=True)
m, a, F, step, shift = sympy.symbols("m a F step c", nonnegative=True)

ROPE_FACTOR = MSCALE / MSCALE.subs(k, k_all)
SOFTMAX_SCALE = MSCALE.subs(k, k_all) ** 2 / sympy.sqrt(D)
SCORE_TEMPERATURE = MSCALE**2

DEEPSEEK_SPLIT = Derivation(
    "attention_scale.deepseek_split",
    "af²·mscale(s, k_all)²/√D = mscale(s, k)²/√D: the split between cos/sin and softmax keeps YaRN's temperature",
    [ROPE_FACTOR**2 * SOFTMAX_SCALE * sympy.sqrt(D) - SCORE_TEMPERATURE],
    steps=(
        ("cos/sin carry af (q and k each), the softmax scale the rest.",
         (sympy.Mul(ROPE_FACTOR**2, SOFTMAX_SCALE, evaluate=False), SCORE_TEMPERATURE / sympy.sqrt(D))),
    ),
)

TEMPERATURE = 1 + a * log(1 + floor((m + shift) / F))
STEP = step * F - shift
_CASES = [(f, kk, c) for f in (2, 3, 8192) for kk in (1, 2, 7) for c in (0, 1)]
TEMPERATURE_STEPS = Derivation(
    "attention_scale.temperature_steps",
    "T(m) = 1 + a·ln(1 + ⌊(m + c)/F⌋) is 1 + a·ln(1 + k) from m = kF − c to kF − c + F − 1, 1 + a·ln k just before",
    [expr for f, kk, c in _CASES for expr in (
        TEMPERATURE.subs({F: f, shift: c, m: STEP.subs({step: kk, F: f, shift: c})}) - (1 + a * log(1 + kk)),
        TEMPERATURE.subs({F: f, shift: c, m: STEP.subs({step: kk, F: f, shift: c}) + f - 1}) - (1 + a * log(1 + kk)),
        TEMPERATURE.subs({F: f, shift: c, m: STEP.subs({step: kk, F: f, shift: c}) - 1}) - (1 + a * log(kk)))],
    steps=(
        ("Llama 4 (c = 1, F = 8192): the first step is at m = 8191, not 8192.",
         (TEMPERATURE.subs({F: 8192, shift: 1, m: 8191}), 1 + a * log(2))),
        ("Ministral 3 (c = 0): at m = L0.", (TEMPERATURE.subs({F: 16384, shift: 0, m: 16384}), 1 + a * log(2))),
    ),
)


@exported
def score_temperature():
    """(s, k) ↦ mscale(s, k)², the factor a DeepSeek score carries in all (s > 1)."""
    return lambdify((s, k), SCORE_TEMPERATURE)


@exported
def temperature():
    """(m, a, F, c) ↦ 1 + a·ln(1 + ⌊(m + c)/F⌋) (NumPy floor; exact for integer m + c below 2⁵³)."""
    return lambdify((m, a, F, shift), TEMPERATURE)


@exported
def step_position():
    """(k, F, c) ↦ kF − c, the position where T reaches its k-th value."""
    return lambdify((step, F, shift), STEP)
