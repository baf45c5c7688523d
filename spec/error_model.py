r"""The floating-point error model every tolerance of the suite comes from.

Notation: u(t) is the unit roundoff of dtype t (2^-53, 2^-24, 2^-11, 2^-8 for float64, float32,
float16, bfloat16). A target is judged by the dtype of its result, ``t_out``; its angles are assumed
to be computed in ``t_ang`` = float64 for float64 results and float32 otherwise. Half-precision
angles are *not* acceptable: float16 represents integers only up to 2048 and bfloat16 up to 256, so
a position itself would already be wrong — the textbook implementation (Hugging Face and every
kernel we know) builds cos/sin in float32 and casts them.

Every tolerance is  ``SAFETY × u × scale``  with the scale derived below for each quantity, plus
the oracle's own error (``ORACLE_ABS``, float64 double-double evaluation: ≤ 2 u(float64) per value).

Trigonometric value (RoPE cos/sin, sinusoidal table), for pair i at position m, b = base,
e_i = 2i/d, φ = m·θ_i:
  * θ̂_i = fl(b^fl(e_i)):  the exponent's rounding moves b^e by a factor b^(e·u) ≈ 1 + e·ln(b)·u,
    pow adds ≤ 2u;  θ̂_i = exp(−fl(e_i·fl(ln b))) (tensor2tensor, Meta): two roundings of the
    argument e·ln b, exp adds ≤ 2u. Both:  |θ̂−θ|/θ ≤ (2 + 2 e_i ln b)·u_ang.
  * m̂ = m (exact below 2^24 in float32), φ̂ = fl(m̂·θ̂):  |φ̂ − φ| ≤ |φ|·(4 + 2 e_i ln b)·u_ang
    (one more u for the product, one for m above 2^24).
  * cos/sin of φ̂ in t_ang: ≤ 2 u_ang absolute (≤ 1 ulp libm on values ≤ 1, plus a margin).
  ⇒  trig_error = u_ang·(|φ|·(κ_i + 2) + 2)                 [absolute, per cos or sin value]
  where κ_i = 2 + 2 e_i ln b is the frequency's *sensitivity*; a scaled map θ'_i (``spec.scaling``)
  has its own κ_i (one more u per division, the ramp's rounding for a blend, …).

RoPE output component (x₁cos φ − x₂sin φ, or the other one), pair (x₁, x₂):
  the trig errors enter multiplied by |x₁| + |x₂|; casting cos/sin to t_out, two products and one
  sum add ≤ 4 u_out relative to |x₁| + |x₂|; the attention factor scales everything (one more
  rounding, u_out, when it is not 1).
  ⇒  rope_error = af·(|x₁| + |x₂|)·(trig_error + 5 u_out)
Score ⟨f(q,m), f(k,n)⟩ summed over pairs: both components of both vectors:
  ⇒  score_error = Σ_i 2 (|q₁|+|q₂|)(|k₁|+|k₂|)·af²·(trig_error_m + trig_error_n + 10 u_out)
Norm ‖f(x,m)‖: an error in the *angle* is still a rotation and keeps the norm, so only the
  non-angle terms count:  norm_error = af·‖(|x₁|+|x₂|)_i‖₂·√2·(2 u_ang + 5 u_out).

xPos component: ζ_i^(±a)·(a RoPE component), a = m/B, ζ_i = (2i/d + 0.4)/1.4 (``spec.xpos``), the scale
  computed in t_ang: ζ̂ carries ≤ 3 roundings (3u relative), which the power raises to |a|·3u; â = fl(m/B)
  moves ζ^a by |a·ln ζ|·u; the power (or exp of a product) adds 2u; multiplying the rotated value by the
  scale adds u_out:
  ⇒  xpos_error = ζ^(±a)·[rope_error + 2·(|x₁|+|x₂|)·(u_ang·(|a|·(3 + |ln ζ_i|) + 2) + u_out)]
  (the RoPE part scaled too: the rotation's errors are magnified by the same factor). A decayed value may
  fall below t_out's normal range, where a rounding is absolute: ≤ 2 subnormal spacings are added.

Attention scale (``spec.attention_scale``): a product of at most four factors, each a few correctly
rounded operations in t: 1/√D (2 roundings), mscale(s, k)² (ln, ×, +, square, product: 6), each
temperature 1 + β·ln(1 + ⌊(m + c)/F⌋) (conversion of m + c, exact below 2²⁴ in float32; the quotient
of two exact integers, whose floor is exact for m + c < 2²⁴ (a quotient below an integer k is at most
k − 1/F, which float32 keeps apart from k while (m + c)·u < 1); ln1p 2, ×, +, product: 5):
  ⇒  attention_scale_error = SAFETY·|value|·(2 + 6 + 5·temperatures)·u_out

ALiBi slope m_h = r^k (r = 2^(−8/n) or 2^(−4/P) for the interleaved heads, k the power):
  computed as r̂^k (Bloom, MPT) the rounding of r is raised to the k-th power:
  ⇒  relative slope error ≤ (k + 2)·u_out.  A bias entry −m·δ with integer δ exact in t_out:
  ⇒  bias_error = |m|·|δ|·((k + 2) + 1)·u_out. A causal bias is conformant up to a per-row constant, so an
     implementation may form −m·(j − c) from any anchor c in the keys' range [0, K − 1] (the query: |δ|; key-only,
     Bloom: c = 0; the last key, keras-hub: c = K − 1); after removing B[i, i₀] the two entries' errors add,
     |m|·(|j − c| + |i₀ − c|)·(k + 3)·u_out, largest at an end of the range:
  ⇒  span = |δ| + max(j + i₀, 2(K − 1) − j − i₀) (``alibi_bias_span``).

T5 buckets are integers. The float computation of x = B·ln(n/E)/ln(D/E) (E = max_exact, D =
max_distance, B = buckets − E) has absolute error ≤ (x + B/ln(D/E))·8 u(float32) (ln near 1 loses
relative accuracy; libraries use float32 even for float64 models), so where the exact x lies within
that distance of an integer both neighbouring floors are conformant; everywhere else the bucket is
exact.

Attention, out = softmax(s)·V (``spec.attention``). The softmax's rounding-error analysis is P. Blanchard,
D. J. Higham and N. J. Higham, "Accurately computing the log-sum-exp and softmax functions", IMA J. Numer. Anal.
41(4):2311–2330, 2021 (doi:10.1093/imanum/draa038): the shifted formulas (subtract the row maximum) are as accurate
as the unshifted ones, and their error is the condition of exp at s − max times u plus the n-term sum's; the
first-order bound below has that structure and is derived here, not quoted. Per query row i with n visible keys,
inputs exact (the oracle gets the rounded q, k, v), u_w = u(float64 for float64, else float32) the working precision
every kernel computes scores, softmax and P·V in, u_s = u(t), a_ij = scale·Σ_d|q_id·k_jd|, M_i = max_j s_ij:
  * score s_ij = scale·q_i·k_j + b_ij: D products and D − 1 sums (γ_D(u_w); the products are exact in float32 for
    half-precision inputs), 1/√D (2 roundings) and its product, or √scale on q and k (3): ≤ γ_{D+4}(u_w)·a_ij;
    adding the bias: u_w·|s_ij|. ALiBi is formed in u_w: the slope r^k carries (k + 2)·u_w (``alibi_slope_error``),
    the product m·δ one more; a target may add it key-only (m·k_j: flash-attn, Bloom) or anchored (vLLM: a per-row
    constant away), whose magnitude is up to m·(|k_j| + |q_i|) (as ``alibi_bias_error``'s span):
    Δb_ij ≤ (k + 3)·u_w·m·(|q_i − k_j| + |k_j| + |q_i|). T5 tables and array biases are given: exact.
    ⇒  E^s_ij = γ_{D+4}(u_w)·a_ij + u_w·|s_ij| + Δb_ij
  * shifted exponentials e_ij = exp(ŝ_ij − M̂_i) (an online softmax's running maxima change M̂ by a per-row constant,
    which the normalisation cancels): the subtraction, exp2's scaling by log₂e and that constant's rounding give
    3u_w·|s_ij − M_i| in the argument, exp itself 2u_w (≤ 1 ulp, with margin): relative error
    ε_ij ≤ E^s_ij + 3u_w·|s_ij − M_i| + 2u_w =: E_ij.
  * p_ij = e_ij/Σ_l e_il: ∂ log p_j/∂ s_l = δ_jl − p_l (the softmax's conditioning), so p̂_ij = p_ij(1 + η_ij) with
    |η_ij| ≤ E_ij + Σ_l p_il·E_il + γ_n(u_w) (the sum) + γ_n(u_w) (an online softmax rescales its partial sums at
    most once per key) + u_w (the division) + u_s (P rounded to t before P·V, as flash kernels and flex do).
  * out_ik = Σ_j p̂_ij·v_jk: γ_n(u_w)·Σ_j p_ij|v_jk| for the sum, u_w for a division after it (flash), u_s·|o_ik|
    rounding to t; P stored in t below t's normal range errs by up to half a subnormal spacing τ_t (float16: 2⁻²⁵ on
    values ≤ 1) absolutely: τ_t·Σ_j|v_jk| over the visible keys.
  ⇒  attention_error = SAFETY·[Σ_j p_ij·E_ij·|v_jk| + (Σ_l p_il·E_il)·Σ_j p_ij|v_jk|
                              + (3γ_n(u_w) + 4u_w + u_s)·Σ_j p_ij|v_jk| + u_s·|o_ik| + τ_t·Σ_j|v_jk|]
     + the oracle's own error: the same bound at longdouble's unit roundoff (2⁻⁶⁴ on x86-64), plus its final
     rounding to float64, u(float64)·|o_ik|. A row without a visible key is 0 exactly (n = 0: tolerance 0).
  Outside the model, on purpose: a bias or slopes carried in a half-precision dtype (Falcon's bfloat16 slopes·positions,
  a bfloat16 mask): Δb = u_s·m·|δ| is 2¹⁶ times u_w's and grows with the positions — the precision loss the bias
  dtype bugs are about (attention.md §2 #10) — and scores held in the input dtype (Δs = u_s·|s|).
"""

from __future__ import annotations

import math

import numpy as np

UNIT_ROUNDOFF = {"float64": 2.0**-53, "float32": 2.0**-24, "float16": 2.0**-11, "bfloat16": 2.0**-8}

#: The spacing of each dtype's subnormal numbers: a rounding below the normal range errs by up to half of it.
SUBNORMAL_SPACING = {"float64": 2.0**-1074, "float32": 2.0**-149, "float16": 2.0**-24, "bfloat16": 2.0**-133}
#: Higher-order terms and implementation latitude (complex multiply, fused ops, libm variance).
SAFETY = 2.0
#: The oracle's own absolute error per value (double-double phases, float64 trig): ≤ 2 u(float64).
ORACLE_ABS = 2 * UNIT_ROUNDOFF["float64"]
#: Absolute error bound of a float32 computation of T5's log-bucket coordinate, in units of x + B/ln(D/E).
T5_LOG_ULPS = 8


def unit_roundoff(dtype: str) -> float:
    try:
        return UNIT_ROUNDOFF[dtype]
    except KeyError:
        raise ValueError(f"dtype must be one of {tuple(UNIT_ROUNDOFF)}, got {dtype!r}") from None


def angle_dtype(dtype: str) -> str:
    """The dtype angles are computed in for a result of ``dtype`` (see the module docstring)."""
    return "float64" if dtype == "float64" else "float32"


def power_sensitivity(exponent, base: float):
    """κ_i = 2 + 2 e_i ln b: relative error of θ_i = b^(−e_i) in units of u (module docstring)."""
    return 2 + 2 * np.asarray(exponent) * math.log(base)


def trig_error(phase_abs, sensitivity, dtype: str):
    """Absolute error of one cos/sin value at |φ| = ``phase_abs`` for a frequency of sensitivity κ."""
    u_ang = unit_roundoff(angle_dtype(dtype))
    return u_ang * (np.abs(phase_abs) * (sensitivity + 2) + 2)


def frequency_error(theta, sensitivity, dtype: str):
    """Tolerance of a frequency θ_i in ``dtype``: relative κ_i·u (see the module docstring)."""
    return SAFETY * np.abs(theta) * sensitivity * unit_roundoff(dtype) + ORACLE_ABS * np.abs(theta)


def attention_factor_error(factor: float):
    """Tolerance of an attention factor (a few float64 operations: log, sqrt, division)."""
    return SAFETY * 16 * UNIT_ROUNDOFF["float64"] * abs(factor)


def sinusoidal_error(phase_abs, sensitivity, dtype: str):
    """Tolerance of one table entry sin(pω_i) or cos(pω_i) against the exact value."""
    return SAFETY * (trig_error(phase_abs, sensitivity, dtype) + unit_roundoff(dtype)) + ORACLE_ABS


def rope_error(pair_l1, phase_abs, sensitivity, dtype: str, attention_factor: float = 1.0):
    """Tolerance of one rotated component against the exact af·R(m)x; ``pair_l1`` = |x₁| + |x₂|."""
    per_unit = trig_error(phase_abs, sensitivity, dtype) + 5 * unit_roundoff(dtype)
    return SAFETY * attention_factor * pair_l1 * per_unit + ORACLE_ABS * attention_factor * pair_l1


def _score_constant(dtype: str) -> float:
    """The angle-independent part of a score's relative error per pair (the products and the sum)."""
    return 10 * unit_roundoff(dtype) + 2 * ORACLE_ABS


def rope_score_error(q_l1, k_l1, phase_q, phase_k, sensitivity, dtype: str, attention_factor: float = 1.0):
    """Tolerance of a score ⟨f(q,m), f(k,n)⟩ (summed over the last axis = pairs)."""
    per_pair = trig_error(phase_q, sensitivity, dtype) + trig_error(phase_k, sensitivity, dtype) + _score_constant(dtype)
    return (SAFETY * 2 * attention_factor**2 * q_l1 * k_l1 * per_pair).sum(-1)


def rope_score_error_matrix(q_l1, k_l1, phase_q, phase_k, sensitivity, dtype: str, attention_factor: float = 1.0):
    """``rope_score_error`` of every query × key pair: ``q_l1``, ``phase_q`` ``[..., seq_q, pairs]`` and ``k_l1``,
    ``phase_k`` ``[..., seq_k, pairs]`` give ``[..., seq_q, seq_k]``.

    The bound Σ_i w·a_i·b_i·(T_q,i + T_k,i + c) is bilinear in the pair magnitudes a (query) and b (key), and T_q
    depends on the query alone, T_k on the key alone, so it is one matrix product of per-position factors:
    Σ_i (w·a_i·(T_q,i + c))·b_i + Σ_i (w·a_i)·(b_i·T_k,i) = [w·a·(T_q + c) | w·a] · [b | b·T_k]ᵀ — (seq_q + seq_k)
    per-pair terms instead of seq_q·seq_k (the same number up to rounding: ``tests/meta/test_error_model.py``)."""
    a = SAFETY * 2 * attention_factor**2 * np.asarray(q_l1, np.float64)
    b = np.asarray(k_l1, np.float64)
    t_q = trig_error(phase_q, sensitivity, dtype) + _score_constant(dtype)
    t_k = trig_error(phase_k, sensitivity, dtype)
    left = np.concatenate(np.broadcast_arrays(a * t_q, a), axis=-1)
    right = np.concatenate(np.broadcast_arrays(b, b * t_k), axis=-1)
    return np.matmul(left, np.swapaxes(right, -1, -2))


def rope_norm_error(pair_l1, dtype: str, attention_factor: float = 1.0):
    """Tolerance of ‖f(x,m)‖ against af·‖x‖ (summed over the last axis = pairs); angle-independent."""
    u_ang = unit_roundoff(angle_dtype(dtype))
    per_unit = math.sqrt(2) * (2 * u_ang + 5 * unit_roundoff(dtype)) + ORACLE_ABS
    return SAFETY * attention_factor * np.sqrt((pair_l1**2).sum(-1)) * per_unit


def alibi_slope_error(slopes, powers, dtype: str):
    """Tolerance of slope m_h = r^k computed as r̂^k; ``powers`` = k per head."""
    return SAFETY * np.abs(slopes) * (np.asarray(powers) + 2) * unit_roundoff(dtype)


def alibi_bias_span(query_positions, key_positions, k_len: int):
    """|δ| + max(j + i₀, 2(K − 1) − j − i₀): the positions a row-normalised causal bias entry's error scales with,
    whatever per-row anchor in [0, K − 1] the bias was formed from (module docstring)."""
    i0, j = np.asarray(query_positions, np.float64), np.asarray(key_positions, np.float64)
    return np.abs(i0 - j) + np.maximum(j + i0, 2 * (k_len - 1) - j - i0)


def alibi_bias_error(slopes, powers, span, dtype: str):
    """Tolerance of a bias entry: ``span`` = |δ| for an exact −m|δ|, ``alibi_bias_span`` row-normalised (module
    docstring)."""
    rel = (np.asarray(powers, dtype=np.float64) + 3) * unit_roundoff(dtype)
    return SAFETY * np.abs(slopes) * rel * span + ORACLE_ABS * np.abs(slopes) * span


def t5_log_slack(x, log_steps: int, log_ratio: float):
    """Distance within which the exact log-bucket coordinate ``x`` may round to either floor."""
    return SAFETY * T5_LOG_ULPS * UNIT_ROUNDOFF["float32"] * (np.abs(x) + log_steps / log_ratio)


def xpos_scale_units(exponent_abs, log_zeta_abs):
    """The relative error of a computed scale ζ_i^(±a) in units of u_ang: |a|·(3 + |ln ζ_i|) + 2 (module docstring)."""
    return exponent_abs * (3 + log_zeta_abs) + 2


def xpos_error(pair_l1, phase_abs, sensitivity, exponent_abs, log_zeta_abs, scale, dtype: str):
    """Tolerance of one xPos component against the exact ζ^(±a)·R(m)x: ``exponent_abs`` = |a| = |m|/B,
    ``log_zeta_abs`` = |ln ζ_i|, ``scale`` = ζ_i^(±a) (module docstring)."""
    u_ang = unit_roundoff(angle_dtype(dtype))
    magnitude = u_ang * xpos_scale_units(exponent_abs, log_zeta_abs) + unit_roundoff(dtype)
    return (scale * (rope_error(pair_l1, phase_abs, sensitivity, dtype) + SAFETY * pair_l1 * magnitude)
            + 2 * SUBNORMAL_SPACING[dtype])


def xpos_score_error(q_l1, k_l1, phase_q, phase_k, magnitude_q, magnitude_k, sensitivity, scale_q, scale_k, dtype: str):
    """Tolerance of a score ⟨f_q(q, m), f_k(k, n)⟩ summed over pairs (last axis): each factor's error times the
    other's size; ``magnitude_*`` = :func:`xpos_scale_units` of each factor's scale."""
    u_ang, u_out = unit_roundoff(angle_dtype(dtype)), unit_roundoff(dtype)
    per_pair = (trig_error(phase_q, sensitivity, dtype) + trig_error(phase_k, sensitivity, dtype) + 12 * u_out
                + u_ang * (magnitude_q + magnitude_k) + 2 * ORACLE_ABS)
    # each of the 2·2 products of components carries the subnormal spacing of the other factor's size
    subnormal = 2 * SUBNORMAL_SPACING[dtype] * (scale_q * q_l1 + scale_k * k_l1)
    return (SAFETY * (2 * scale_q * scale_k * q_l1 * k_l1 * per_pair + subnormal)).sum(-1)


def attention_scale_error(value, temperatures: int, dtype: str):
    """Tolerance of an attention scale with ``temperatures`` position-dependent factors (module docstring)."""
    return SAFETY * np.abs(value) * (8 + 5 * temperatures) * unit_roundoff(dtype) + ORACLE_ABS * np.abs(value)


# --- attention: softmax(s)·V ----------------------------------------------------------------------

#: Unit roundoff of ``numpy.longdouble``, the precision ``spec.attention`` evaluates in (2⁻⁶⁴ on x86-64).
EXTENDED_UNIT_ROUNDOFF = float(np.finfo(np.longdouble).eps) / 2


def attention_working_dtype(dtype: str) -> str:
    """The precision an attention kernel computes scores, softmax and P·V in: float64 for float64, float32 otherwise."""
    return "float64" if dtype == "float64" else "float32"


def gamma(n, u: float):
    """γ_n(u) = n·u/(1 − n·u), the bound of n roundings compounded (Higham, Accuracy and Stability, §3.1)."""
    n = np.asarray(n, np.float64)
    return n * u / (1 - n * u)


def attention_bias_units(slopes, powers, span):
    """ALiBi bias error in units of u_w: (k + 3)·|m|·span, span = |q_i − k_j| + |k_j| + |q_i| (module docstring)."""
    return (np.asarray(powers, np.float64) + 3) * np.abs(slopes) * span


def _attention_per_key(magnitude, score_abs, bias_units, spread, head_dim, u_w: float):
    """E_ij = γ_{D+4}(u_w)·a_ij + u_w·|s_ij| + Δb_ij + 3u_w·|s_ij − M_i| + 2u_w at visible keys, 0 elsewhere."""
    visible = np.isfinite(spread)
    score = gamma(head_dim + 4, u_w) * magnitude + u_w * score_abs + u_w * bias_units
    with np.errstate(invalid="ignore"):
        return np.where(visible, score + 3 * u_w * np.abs(spread) + 2 * u_w, 0.0)


def _attention_bound(probabilities, values_abs, out_abs, magnitude, score_abs, bias_units, spread, count, head_dim,
                     u_w: float, u_s: float, tau: float):
    p = np.asarray(probabilities, np.float64)
    visible = np.isfinite(spread)
    per_key = _attention_per_key(magnitude, score_abs, bias_units, spread, head_dim, u_w)
    weighted = p @ values_abs                                   # Σ_j p_ij·|v_jk|
    row = (p * per_key).sum(-1, keepdims=True)                  # Σ_l p_il·E_il
    n = np.asarray(count, np.float64)[..., None]
    softmax = (p * per_key) @ values_abs + row * weighted
    sums = (3 * gamma(n, u_w) + 4 * u_w + u_s) * weighted
    underflow = tau * (visible.astype(np.float64) @ values_abs)
    return softmax + sums + u_s * out_abs + underflow


def attention_error(probabilities, values_abs, out_abs, magnitude, score_abs, bias_units, spread, count, head_dim,
                    dtype: str):
    """Tolerance of each output component o_ik of softmax(s)·V in ``dtype`` (module docstring), from the oracle's
    exact p [..., L, S], |v| [..., S, Dv], |o| [..., L, Dv], a_ij, |s_ij|, ALiBi's bias units, s_ij − M_i and the
    visible count per row; plus the oracle's own error (:func:`attention_oracle_error`)."""
    u_w, u_s = unit_roundoff(attention_working_dtype(dtype)), unit_roundoff(dtype)
    bound = _attention_bound(probabilities, values_abs, out_abs, magnitude, score_abs, bias_units, spread, count, head_dim,
                             u_w, u_s, SUBNORMAL_SPACING[dtype] / 2)
    return SAFETY * bound + attention_oracle_error(probabilities, values_abs, out_abs, magnitude, score_abs, bias_units,
                                                   spread, count, head_dim)


def attention_oracle_error(probabilities, values_abs, out_abs, magnitude, score_abs, bias_units, spread, count, head_dim):
    """``spec.attention``'s own error: the same bound at its extended precision, plus the final rounding to float64."""
    bound = _attention_bound(probabilities, values_abs, out_abs, magnitude, score_abs, bias_units, spread, count, head_dim,
                             EXTENDED_UNIT_ROUNDOFF, EXTENDED_UNIT_ROUNDOFF, 0.0)
    return SAFETY * bound + UNIT_ROUNDOFF["float64"] * np.abs(out_abs)


def attention_probability_error(probabilities, magnitude, score_abs, bias_units, spread, count, head_dim, dtype: str):
    """Relative tolerance of each p̂_ij as the q = 0 probe reads it — out_ij = Σ_l p̂_il·v_lj with one-hot values has one
    nonzero term, so the sum is exact: |η_ij| + u_w + u_s ≤ E_ij + Σ_l p_il·E_il + 3γ_n(u_w) + 4u_w + 2u_s (P and the
    output rounded to t), for p_ij in t's normal range; plus the oracle's relative error at its precision, and u(float64)."""
    def bound(u_w, u_s):
        per_key = _attention_per_key(magnitude, score_abs, bias_units, spread, head_dim, u_w)
        row = (np.asarray(probabilities, np.float64) * per_key).sum(-1, keepdims=True)
        return per_key + row + 3 * gamma(np.asarray(count, np.float64)[..., None], u_w) + 4 * u_w + 2 * u_s

    u_w, u_s = unit_roundoff(attention_working_dtype(dtype)), unit_roundoff(dtype)
    return (SAFETY * bound(u_w, u_s) + SAFETY * bound(EXTENDED_UNIT_ROUNDOFF, EXTENDED_UNIT_ROUNDOFF)
            + UNIT_ROUNDOFF["float64"])
