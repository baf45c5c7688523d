r"""RoPE context-extension scalers (HF ``modeling_rope_utils``; Chen et al. 2306.15595; Peng et al. 2309.00071).

Notation: d rotary dim, i pair index (continuous where noted), b base, θ_i = b^(−2i/d), λ_i = 2π/θ_i,
s factor, L0 = original_max_position_embeddings. All symbols positive; the claims need d > 2, b > 1.

* ``scaling.ntk_base``:  θ'_i = b'^(−2i/d); solving θ'_{d/2−1} = θ_{d/2−1}/s (for ln b', where it is
  linear) gives b' = b·s^(d/(d−2)); that closed form (the export) satisfies the condition,
  θ'_0 = θ_0, and θ'_i/θ_i = s^(−2i/(d−2)) in between. Exports ``ntk_base(b, s, d)``.
* ``scaling.yarn_correction_dim``: r(i) = L0/λ_i and fcd(r) = d·ln(L0/(2πr))/(2 ln b) are inverse;
  dfcd/dr = −d/(2r ln b) < 0 and fcd(β_slow) − fcd(β_fast) = d·ln(β_fast/β_slow)/(2 ln b), so
  β_fast > β_slow gives low < high. Exports ``correction_dim(r, d, b, L0)``.
* ``scaling.yarn_ramp``: blend θ' = θ/s·γ + θ(1−γ) (γ = HF's ramp over i, the *interpolation* weight):
  θ at γ = 0, θ/s at γ = 1; θ/θ' = 1/(γ/s + 1 − γ) runs from 1 to s with derivative
  (1 − 1/s)/(γ/s + 1 − γ)² ≥ 0, so it stays in [1, s]. Paper ramp γ(r) = clamp((r−α)/(β−α), 0, 1) (the
  *keep* weight: the paper's h(θ) = blend(θ, s, 1 − γ(r))): 0 at α, 1 at β, saturated outside.
  Exports ``yarn_blend(theta, s, gamma)``, ``paper_ramp(r, alpha, beta)``.
* ``scaling.mscale``: mscale(s, k) = 0.1·k·ln s + 1 (for s > 1; HF returns 1 for s ≤ 1 by definition):
  1 at s = 1, increasing; DeepSeek factor mscale(s, k)/mscale(s, k_all) = 1 when k = k_all. LongRoPE
  factor sqrt(1 + ln s/ln L0) is 1 at s = 1. Exports ``mscale(s, k)``, ``longrope_attention_factor(s, L0)``.
* ``scaling.llama3``: σ(λ) = (L0/λ − low)/(high − low), θ' = (1−σ)θ/s + σθ: σ = 1, θ' = θ at
  λ = L0/high; σ = 0, θ' = θ/s at λ = L0/low (continuous at both thresholds); σ is the paper's
  unclamped γ(r) with r = L0/λ, α = low, β = high, and θ' = blend(θ, s, 1 − σ).
  Exports ``llama3_smooth(theta, s, L0, low, high)``.
* ``scaling.dynamic_ntk``: b'(L) = b·(sL/L0 − (s−1))^(d/(d−2)): b'(L0) = b (the clamp L = max(seq, L0)
  is continuous), and db'/dL = b·d/(d−2)·(s/L0)·(1 + s(L−L0)/L0)^(2/(d−2)) > 0. Exports ``dynamic_base``.
* ``scaling.position_interpolation``: a(t) = Re Σ_j h_j e^{itθ_j}: a'' = Re Σ −θ_j² h_j e^{itθ_j} and
  |θ_j² h_j e^{itθ_j}| = θ_j²|h_j| (3 terms, symbolic h_j), so |a''| ≤ max|h|·Σθ_j²; the linear
  interpolant matches a at s1, s2; for a quadratic the Lagrange remainder ½a''(t−s1)(t−s2) is exact; and
  (t−s1)(s2−t) peaks at the midpoint with (s2−s1)²/4. Exports ``pi_interpolation_bound`` (plain NumPy,
  also evaluated here on SymPy objects) = ½(t−⌊t⌋)(⌊t⌋+1−t)·max|h|·Σθ².
  The commonly quoted bound d·max|h|·(s−s1)(s2−s)/(8 ln c) is NOT used: REFERENCE.md reports it
  exceeded at d = 128, c = 10⁴, s = ½ (0.494 vs 0.434). Checked numerically: at t = ½ the error is
  Re Σ h_j e^{iθ_j/2}(1 − cos(θ_j/2)), maximised over |h_j| ≤ 1 by h_j = e^{−iθ_j/2} at
  Σ(1 − cos(θ_j/2)) = 0.4939 (random |h| ≤ 1: 0.304 max over 2·10⁵ draws; worst-case phases with
  |h| ∈ [0.9, 1]: 0.484), against quoted 0.4343 and rigorous 0.4998. The worst case beats the quoted
  bound at every t in (0, 1) (by ≥ 13 %), and also at d = 64/256, c = 5·10⁵/10⁶. Cause: Σ_{j<d/2}
  c^(−4j/d) = 3.998 is a left Riemann sum of a decreasing function, so it exceeds, not undercuts,
  d/(4 ln c) = 3.474; Σθ_j² ≤ 1 + d/(4 ln c) is what holds.
* ``scaling.ntk_alpha``: HunYuan's b·α^(d/(d−2)) is ``ntk_base`` at s = α and constant in L, while dynamic
  NTK at factor α is the plain base up to L0 (reading HunYuan's ``"type": "dynamic"`` literally).
* ``scaling.proportional``: Gemma 4's proportional RoPE keeps pair j at the whole head's θ_j(D) = b^(−2j/D) for
  j < R and sets the rest to 0; ordinary partial rotary over d_r = pD lanes puts b^(−2j/d_r) = θ_{j/p}(D) on
  its pair j — every (1/p)-th frequency of the whole head, a compressed spectrum — so the two agree on pair 0
  only. A zero frequency is the identity rotation at every position: R(m·0) = I. Exports
  ``zero_frequency_rotation(m)`` = (cos, sin) of m·0.
* ``scaling.identity_at_factor_one``: at s = 1 linear, NTK, YaRN blend, Llama-3 smooth, mscale, DeepSeek
  and LongRoPE factors are the identity. Dynamic NTK is the identity at s = 1 only for L ≤ L0: beyond it
  b' = b·(L/L0)^(d/(d−2)) still grows (also a residual).
"""

from __future__ import annotations

import numpy as np
import sympy
from sympy import I, Max, Min, exp, expand_log, log, pi, re, sqrt

from proofs import Derivation, exported, lambdify

d, i, b, s, L0, L, k, k_all = sympy.symbols("d i b s L0 L k k_all", positive=True)
theta, lam, r, alpha, beta, low, high, eps = sympy.symbols("theta lambda r alpha beta low high epsilon", positive=True)
beta_fast, beta_slow, H = sympy.symbols("beta_fast beta_slow H", positive=True)
gamma, t, s1, s2 = sympy.symbols("gamma t s1 s2", real=True)


def _theta(base, idx):
    return base ** (-2 * idx / d)


def _log_residual(lhs, rhs):
    """ln lhs − ln rhs, logs expanded (positive symbols): closes power identities plain simplify leaves."""
    return expand_log(log(lhs) - log(rhs), force=True)


_ln_b_new = sympy.Symbol(r"\ln b'", real=True)  # solve for ln b': ln θ'_{d/2−1} = ln(θ_{d/2−1}/s) is linear in it
_condition = sympy.Eq(log(_theta(exp(_ln_b_new), d / 2 - 1)), expand_log(log(_theta(b, d / 2 - 1) / s), force=True))
_solutions = sympy.solve(_condition, _ln_b_new, check=False, simplify=False)
assert len(_solutions) == 1
NTK_B = b * s ** (d / (d - 2))
NTK_BASE = Derivation(
    "scaling.ntk_base",
    "θ'_{d/2−1} = θ_{d/2−1}/s ⇔ b' = b·s^(d/(d−2)); θ'_0 = θ_0; θ'_i/θ_i = s^(−2i/(d−2))",
    [expand_log(_solutions[0] - log(NTK_B), force=True),
     _log_residual(_theta(NTK_B, d / 2 - 1), _theta(b, d / 2 - 1) / s), _theta(NTK_B, 0) - _theta(b, 0),
     _log_residual(_theta(NTK_B, i) / _theta(b, i), s ** (-2 * i / (d - 2)))],
    steps=(
        (("Require the lowest frequency (pair d/2 − 1) to be interpolated by s; in logs the condition is linear "
          "in ln b′."), (_condition,)),
        ("Solve it.", (r"\ln b'", _solutions[0], expand_log(log(NTK_B), force=True))),
        ("The highest frequency (pair 0) is untouched; in between the ratio falls geometrically (in logs).",
         (r"\ln(\theta'_i / \theta_i)", expand_log(log(_theta(NTK_B, i) / _theta(b, i)), force=True),
          expand_log(log(s ** (-2 * i / (d - 2))), force=True))),
    ),
)

R_OF_I = L0 * _theta(b, i) / (2 * pi)  # L0/λ_i: rotations of pair i over the original context
FCD = d * log(L0 / (2 * pi * r)) / (2 * log(b))
YARN_CORRECTION_DIM = Derivation(
    "scaling.yarn_correction_dim",
    "fcd = r⁻¹: r(fcd(r)) = r, fcd(r(i)) = i; dfcd/dr = −d/(2r ln b); "
    "fcd(β_s) − fcd(β_f) = d ln(β_f/β_s)/(2 ln b)",
    [_log_residual(R_OF_I.subs(i, FCD), r), expand_log(FCD.subs(r, R_OF_I) - i, force=True),
     sympy.diff(FCD, r) + d / (2 * r * log(b)),
     expand_log(FCD.subs(r, beta_slow) - FCD.subs(r, beta_fast) - d * log(beta_fast / beta_slow) / (2 * log(b)),
                force=True)],
    steps=(
        ("Rotations of pair i over the original context.", ("r(i) = L_0/\\lambda_i", R_OF_I)),
        ("Its inverse, the continuous pair index of r rotations (HF's find_correction_dim).", (r"\mathrm{fcd}(r)", FCD)),
        ("Decreasing in r: faster-rotating pairs have lower indices.",
         (sympy.Derivative(FCD, r), sympy.diff(FCD, r), -d / (2 * r * log(b)))),
    ),
)

BLEND = theta / s * gamma + theta * (1 - gamma)
RATIO = theta / BLEND
RAMP_LINEAR = (r - alpha) / (beta - alpha)
PAPER_RAMP = Min(1, Max(0, RAMP_LINEAR))
YARN_RAMP = Derivation(
    "scaling.yarn_ramp",
    "blend: θ at γ=0, θ/s at γ=1, θ/θ' = 1/(γ/s+1−γ) from 1 to s, d/dγ = (1−1/s)/(γ/s+1−γ)²; "
    "paper ramp: γ(α)=0, γ(β)=1, saturated at 0 below α and 1 above β",
    [BLEND.subs(gamma, 0) - theta, BLEND.subs(gamma, 1) - theta / s, RATIO - 1 / (gamma / s + 1 - gamma),
     RATIO.subs(gamma, 0) - 1, RATIO.subs(gamma, 1) - s,
     sympy.diff(RATIO, gamma) - (1 - 1 / s) / (gamma / s + 1 - gamma) ** 2,
     RAMP_LINEAR.subs(r, alpha), RAMP_LINEAR.subs(r, beta) - 1, PAPER_RAMP.subs(r, alpha), PAPER_RAMP.subs(r, beta) - 1,
     PAPER_RAMP.subs(beta, alpha + eps).subs(r, alpha - eps),  # β = α + ε, r = α − ε < α
     PAPER_RAMP.subs(beta, alpha + eps).subs(r, alpha + 2 * eps) - 1],  # r = β + ε > β
    steps=(
        ("The blend, γ the interpolation weight.", (r"\theta'", BLEND)),
        ("The ratio θ/θ′ runs from 1 (γ = 0) to s (γ = 1) …", (r"\theta / \theta'", RATIO, 1 / (gamma / s + 1 - gamma))),
        ("… monotonically, since s ≥ 1.",
         (sympy.Derivative(RATIO, gamma), sympy.diff(RATIO, gamma), (1 - 1 / s) / (gamma / s + 1 - gamma) ** 2)),
        ("The paper's ramp over r = L0/λ (keep weight).", (r"\gamma(r)", PAPER_RAMP)),
    ),
)

MSCALE = sympy.Rational(1, 10) * k * log(s) + 1
DEEPSEEK_FACTOR = MSCALE / MSCALE.subs(k, k_all)
LONGROPE_FACTOR = sqrt(1 + log(s) / log(L0))
MSCALE_DERIVATION = Derivation(
    "scaling.mscale",
    "mscale(1, k) = 1, dmscale/ds = k/(10s); mscale(s,k)/mscale(s,k) = 1; sqrt(1 + ln 1/ln L0) = 1",
    [MSCALE.subs(s, 1) - 1, sympy.diff(MSCALE, s) - k / (10 * s), DEEPSEEK_FACTOR.subs(k_all, k) - 1,
     LONGROPE_FACTOR.subs(s, 1) - 1],
    steps=(
        ("YaRN's mscale (k = mscale, or mscale_all_dim for the denominator of DeepSeek's ratio) …",
         (r"\mathrm{mscale}(s, k)", MSCALE)),
        ("… grows with s, from 1 at s = 1.", (sympy.Derivative(MSCALE, s), sympy.diff(MSCALE, s), k / (10 * s))),
        ("LongRoPE's factor.", (r"\sqrt{1 + \ln s / \ln L_0}", LONGROPE_FACTOR)),
    ),
)

SIGMA = (L0 / lam - low) / (high - low)
LLAMA3_BLEND = (1 - SIGMA) * theta / s + SIGMA * theta
LLAMA3_SMOOTH = LLAMA3_BLEND.subs(lam, 2 * pi / theta)
LLAMA3 = Derivation(
    "scaling.llama3",
    "σ(L0/high) = 1, θ' = θ; σ(L0/low) = 0, θ' = θ/s; σ = γ(L0/λ; low, high); θ' = blend(θ, s, 1 − σ)",
    [SIGMA.subs(lam, L0 / high) - 1, LLAMA3_BLEND.subs(lam, L0 / high) - theta,
     SIGMA.subs(lam, L0 / low), LLAMA3_BLEND.subs(lam, L0 / low) - theta / s,
     RAMP_LINEAR.subs({r: L0 / lam, alpha: low, beta: high}) - SIGMA, LLAMA3_BLEND - BLEND.subs(gamma, 1 - SIGMA)],
    steps=(
        ("The smoothing weight, for wavelengths between L0/high and L0/low.", (r"\sigma(\lambda)", SIGMA)),
        ("θ′ is YaRN's blend with interpolation weight 1 − σ.", (r"\theta'", LLAMA3_BLEND, BLEND.subs(gamma, 1 - SIGMA))),
        ("At the short-wavelength edge λ = L0/high: unchanged.",
         (r"\theta'\big|_{\lambda = L_0/high}", LLAMA3_BLEND.subs(lam, L0 / high), theta)),
        ("At the long-wavelength edge λ = L0/low: interpolated by s.",
         (r"\theta'\big|_{\lambda = L_0/low}", LLAMA3_BLEND.subs(lam, L0 / low), theta / s)),
    ),
)

DYNAMIC_B = b * (s * L / L0 - (s - 1)) ** (d / (d - 2))
DYNAMIC_NTK = Derivation(
    "scaling.dynamic_ntk",
    "b'(L0) = b; db'/dL = b·d/(d−2)·(s/L0)·(1 + s(L−L0)/L0)^(2/(d−2)), every factor > 0 for d > 2, L ≥ L0",
    [DYNAMIC_B.subs(L, L0) - b,
     sympy.powsimp(sympy.diff(DYNAMIC_B, L)) - b * d / (d - 2) * (s / L0) * (1 + s * (L - L0) / L0) ** (2 / (d - 2))],
    steps=(
        ("NTK's base with the factor grown to sL/L0 − (s − 1) at length L.", (r"b'(L)", DYNAMIC_B)),
        ("At L = L0 the factor is 1.", (r"b'(L_0)", DYNAMIC_B.subs(L, L0))),
        ("Increasing in L: every factor is positive.",
         (r"\frac{\partial b'}{\partial L}", sympy.powsimp(sympy.diff(DYNAMIC_B, L)),
          b * d / (d - 2) * (s / L0) * (1 + s * (L - L0) / L0) ** (2 / (d - 2)))),
    ),
)


def pi_interpolation_bound(t, h_abs_max, theta):
    """½(t − ⌊t⌋)(⌊t⌋ + 1 − t)·max|h|·Σθ², θ on the last axis; NumPy arrays or SymPy objects."""
    theta = np.asarray(theta)
    s1 = t - t % 1  # ⌊t⌋ for floats and for SymPy numbers
    return (t - s1) * (s1 + 1 - t) * h_abs_max * (theta**2).sum(-1) / 2


_h = [u + I * v for u, v in zip(sympy.symbols("u0:3", real=True), sympy.symbols("v0:3", real=True))]
_th = sympy.symbols("theta0:3", positive=True)
SCORE = re(sympy.expand(sum(h * exp(I * t * w) for h, w in zip(_h, _th))))
_linear = lambda f: f.subs(t, s1) + (f.subs(t, s2) - f.subs(t, s1)) * (t - s1) / (s2 - s1)
_quadratic = sum(c * t**n for n, c in enumerate(sympy.symbols("c0:3", real=True)))
PI_BOUND = H * sum(w**2 for w in _th) * (t - s1) * (s2 - t) / 2  # ½·max|h|·Σθ²·(t−s1)(s2−t)
POSITION_INTERPOLATION = Derivation(
    "scaling.position_interpolation",
    "a'' = Re Σ −θ²h e^{itθ}, |θ²h e^{itθ}| = θ²|h|; L(s1) = a(s1), L(s2) = a(s2); "
    "q − L_q = ½q''(t−s1)(t−s2) for quadratics; max (t−s1)(s2−t) = (s2−s1)²/4; "
    "the exported bound is ½·max|h|·Σθ²·(t−s1)(s2−t)",
    [sympy.diff(SCORE, t, 2) - re(sympy.expand(sum(-(w**2) * h * exp(I * t * w) for h, w in zip(_h, _th)))),
     *[sympy.Abs(-(w**2) * h * exp(I * t * w)) - w**2 * sympy.Abs(h) for h, w in zip(_h, _th)],
     _linear(SCORE).subs(t, s1) - SCORE.subs(t, s1), _linear(SCORE).subs(t, s2) - SCORE.subs(t, s2),
     _quadratic - _linear(_quadratic) - sympy.diff(_quadratic, t, 2) / 2 * (t - s1) * (t - s2),
     sympy.diff((t - s1) * (s2 - t), t).subs(t, (s1 + s2) / 2),
     ((t - s1) * (s2 - t)).subs(t, (s1 + s2) / 2) - (s2 - s1) ** 2 / 4,
     *[pi_interpolation_bound(tv, H, _th) - PI_BOUND.subs({t: tv, s1: sympy.floor(tv), s2: sympy.floor(tv) + 1})
       for tv in (sympy.Rational(7, 2), sympy.Rational(-5, 4), sympy.Rational(10, 3))]],
    steps=(
        ("The score as a function of a fractional position t (three pairs shown).", ("a(t)", SCORE)),
        (("Linear interpolation between the integer positions s1, s2 errs by the Lagrange remainder (exact for a "
          "quadratic q; for a it holds with a″ at some point between) …"),
         (r"q(t) - L_q(t)", _quadratic - _linear(_quadratic), sympy.diff(_quadratic, t, 2) / 2 * (t - s1) * (t - s2))),
        ("… and (t − s1)(s2 − t) peaks at the midpoint.", (((t - s1) * (s2 - t)).subs(t, (s1 + s2) / 2), (s2 - s1) ** 2 / 4)),
        ("With |a″| ≤ max|h|·Σθ², the exported bound.", (r"\varepsilon(t)", PI_BOUND)),
    ),
)

p_r, m_pos = sympy.symbols("p m", positive=True)
ZERO_ROTATION = sympy.Matrix([[sympy.cos(m_pos * 0), -sympy.sin(m_pos * 0)], [sympy.sin(m_pos * 0), sympy.cos(m_pos * 0)]])
PROPORTIONAL = Derivation(
    "scaling.proportional",
    "partial rotary's pair j has θ_{j/p}(D) (a compressed spectrum); proportional's has θ_j(D); the two agree at "
    "j = 0 only; a zero frequency rotates by R(m·0) = I",
    [_log_residual(b ** (-2 * i / (p_r * d)), _theta(b, i / p_r)), ZERO_ROTATION - sympy.eye(2),
     _log_residual(_theta(b, i / p_r) / _theta(b, i), b ** (-2 * i * (1 - p_r) / (p_r * d)))],
    steps=(
        ("Ordinary partial rotary over d_r = pD lanes: its pair j in terms of the whole head's frequencies.",
         (r"b^{-2j/(pD)}", b ** (-2 * i / (p_r * d)), _theta(b, i / p_r))),
        ("Against proportional's pair j (θ_j of the whole head) the ratio is 1 only at j = 0 (for p < 1).",
         (r"\theta_{j/p} / \theta_j", _theta(b, i / p_r) / _theta(b, i), b ** (-2 * i * (1 - p_r) / (p_r * d)))),
        ("A pair at frequency 0 is not rotated, at any position.", (ZERO_ROTATION, sympy.eye(2))),
    ),
)


@exported
def zero_frequency_rotation():
    """m ↦ (cos(m·0), sin(m·0)): the rotation of a proportional pair past R, from the matrix above."""
    return lambdify((m_pos,), (ZERO_ROTATION[0, 0], ZERO_ROTATION[1, 0]))


NTK_ALPHA_B = b * alpha ** (d / (d - 2))
NTK_ALPHA = Derivation(
    "scaling.ntk_alpha",
    "HunYuan's fixed-alpha base b·α^(d/(d−2)) is NTK's b' at s = α and does not depend on the length L; dynamic NTK "
    "at factor α is b itself up to L = L0",
    [NTK_ALPHA_B - NTK_B.subs(s, alpha), sympy.diff(NTK_ALPHA_B, L), DYNAMIC_B.subs({s: alpha, L: L0}) - b],
    steps=(
        ("NTK-aware base with α as the factor (proofs: scaling.ntk_base).", (NTK_ALPHA_B, NTK_B.subs(s, alpha))),
        ("Read as dynamic NTK (a length-dependent base) it would be the plain base at every length up to L0.",
         (DYNAMIC_B.subs({s: alpha, L: L0}), b)),
    ),
)


IDENTITY_AT_FACTOR_ONE = Derivation(
    "scaling.identity_at_factor_one",
    "s = 1: θ/s, NTK b', YaRN blend, Llama-3 smooth, mscale, DeepSeek and LongRoPE factors are the identity; "
    "dynamic b' = b at L = L0 but b·(L/L0)^(d/(d−2)) beyond",
    [(theta / s).subs(s, 1) - theta, NTK_B.subs(s, 1) - b, BLEND.subs(s, 1) - theta, LLAMA3_SMOOTH.subs(s, 1) - theta,
     MSCALE.subs(s, 1) - 1, DEEPSEEK_FACTOR.subs(s, 1) - 1, LONGROPE_FACTOR.subs(s, 1) - 1,
     DYNAMIC_B.subs({s: 1, L: L0}) - b, DYNAMIC_B.subs(s, 1) - b * (L / L0) ** (d / (d - 2))],
    steps=(
        ("Llama 3 at s = 1: both branches of the blend are θ.", (LLAMA3_SMOOTH.subs(s, 1), theta)),
        ("Dynamic NTK at s = 1 is not the identity past L0: its base still grows with L.",
         (r"b'(L)\big|_{s=1}", DYNAMIC_B.subs(s, 1), b * (L / L0) ** (d / (d - 2)))),
    ),
)


@exported
def ntk_base():
    """(b, s, d) ↦ b·s^(d/(d−2)), the NTK-aware base (its log is the solution above)."""
    return lambdify((b, s, d), NTK_B)


@exported
def correction_dim():
    """(r, d, b, L0) ↦ d·ln(L0/(2πr))/(2 ln b): the continuous pair index making r rotations in L0."""
    return lambdify((r, d, b, L0), FCD)


@exported
def yarn_blend():
    """(θ, s, γ) ↦ θ/s·γ + θ(1−γ), γ the interpolation weight (HF's ramp)."""
    return lambdify((theta, s, gamma), BLEND)


@exported
def paper_ramp():
    """(r, α, β) ↦ clamp((r−α)/(β−α), 0, 1), the YaRN paper's γ(r) (keep weight, linear in r)."""
    return lambdify((r, alpha, beta), PAPER_RAMP)


@exported
def mscale():
    """(s, k) ↦ 0.1·k·ln s + 1, valid for s > 1 (s ≤ 1 gives 1 by definition, not by this formula)."""
    return lambdify((s, k), MSCALE)


@exported
def longrope_attention_factor():
    """(s, L0) ↦ sqrt(1 + ln s/ln L0), for s > 1 (1 for s ≤ 1 by definition)."""
    return lambdify((s, L0), LONGROPE_FACTOR)


@exported
def llama3_smooth():
    """(θ, s, L0, low, high) ↦ (1−σ)θ/s + σθ, σ = (L0/λ − low)/(high − low), λ = 2π/θ (mid band)."""
    return lambdify((theta, s, L0, low, high), LLAMA3_SMOOTH)


@exported
def dynamic_base():
    """(b, s, L, L0, d) ↦ b·(sL/L0 − (s−1))^(d/(d−2)); the caller clamps L = max(seq_len, L0)."""
    return lambdify((b, s, L, L0, d), DYNAMIC_B)
