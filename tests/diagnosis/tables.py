"""Diagnosers of the table ops: ``sinusoidal``, ``alibi_slopes``, ``alibi_bias``, ``t5_bucket``.

Each re-calls the target on deterministic probes built from the failing configuration (same dim,
base, layout, head count, mask, bucket geometry; positions, shapes and distances chosen to tell
the hypotheses apart), first checks the output against the oracle with the properties' own
tolerance, then tries the hypotheses below in order. A hypothesis predicts the whole output and is
accepted when every entry lies within its ``spec.error_model`` tolerance (T5: equals the predicted
bucket or, within ``t5_log_slack`` of a floor boundary, its neighbour). Estimated parameters (an
offset, a base, a head count, a max_exact, a max_distance) are only candidates: the full
prediction decides.

=======================  ============  ============================================================  =========
id                       op            the target computes                                           verdict
=======================  ============  ============================================================  =========
other layout             sinusoidal    the other layout (interleaved ↔ concat)                       semantic
swapped sin/cos          sinusoidal    cos in the sin slot and sin in the cos slot                   semantic
sin only                 sinusoidal    sin in both slots of every pair                               semantic
position offset          sinusoidal    PE(p + k) for a constant k ≠ 0 (estimated)                    semantic
position cap             sinusoidal    PE(min(p, N)): a table of N + 1 rows (N estimated)            semantic
t2t denominator          sinusoidal    ω_i = base^(−i/(dim/2 − 1)) (tensor2tensor), either layout    semantic
float32 table            sinusoidal    the oracle within the float32 model, held in float32          precision
float32 angles           sinusoidal    the oracle within the float32-angle model, float64 values     precision
float16 table            sinusoidal    the oracle within the float16 model, held in float16          precision
bfloat16 table           sinusoidal    the oracle within the bfloat16 model, held in bfloat16        precision
other base               sinusoidal    another base b′ ≠ base, estimated (10000: base ignored)       semantic
other head count         alibi_*       slopes(n′)[:n] for the power of two n′ > n the slopes imply   semantic
no interleave rule       alibi_*       2^(−8h/n), h = 1…n, for n not a power of two                  semantic
slope exponent offset    alibi_*       the slope exponents one step off: 2^(−r(k ∓ 1))               semantic
float32 slopes           alibi_slopes  the oracle within the float32 model, held in float32          precision
float16 slopes           alibi_slopes  the oracle within the float16 model, held in float16          precision
bfloat16 slopes          alibi_slopes  the oracle within the bfloat16 model, held in bfloat16        precision
top-left alignment       alibi_bias    query i at position i instead of k_len − q_len + i            semantic
opposite sign            alibi_bias    +m·(i − j) (+m·|i − j|): far keys favoured                    semantic
diagonal masked          alibi_bias    keys j ≥ i masked (the query's own key too)                   semantic
causal ignored           alibi_bias    causal=False answered with the causal (masked) bias           semantic
no causal mask           alibi_bias    causal=True answered with −m·|i − j| and no −inf              semantic
float32 bias             alibi_bias    the oracle in the float32 model: held in float32 or computed  precision
float16 bias             alibi_bias    the same in float16 (Bloom's m·j in float16)                  precision
bfloat16 bias            alibi_bias    the same in bfloat16                                          precision
sign convention          t5_bucket     relative_position taken as query − key (mirrored buckets)     semantic
bidirectional ignored    t5_bucket     the buckets of the other ``bidirectional``                    semantic
rounded log bucket       t5_bucket     round-to-nearest of the log coordinate instead of its floor   semantic
other max_exact          t5_bucket     another max_exact E′ (estimated) than buckets_per_side // 2   semantic
modulo cap               t5_bucket     (E + ⌊x⌋) mod buckets instead of min(·, buckets − 1)          semantic
float16 log              t5_bucket     the log coordinate within the float16 error model             precision
other max_distance       t5_bucket     another max_distance (128: max_distance ignored; estimated)   semantic
=======================  ============  ============================================================  =========

``alibi_*``: the slope hypotheses also explain a bias (the oracle's bias built with those slopes).
The order is the table's, per op: a hypothesis that can mimic a more specific one comes after it.
So semantic hypotheses of a discrete kind (a layout, an integer offset, a power of two) come before
the precision ones, whose tolerance is wider; a continuous parameter estimated from the output (a
base, a max_distance) comes after them, since within a precision model's reach a nearby value is a
rounding, not a bug (float16's ln(D/E) is ln(D′/E) for a D′ a few units off); and another base
reproduces tensor2tensor's frequencies exactly, so "t2t denominator" is tried first.
"""

from __future__ import annotations

import inspect
import math
from fractions import Fraction
from functools import lru_cache

import mpmath
import numpy as np

from spec import alibi, error_model, protocol, t5
from spec.layouts import pair_indices
from spec.phases import frequencies_dd, pair_exponents, reduce_phases, split_dd
from spec.targets import numpy_dtype
from tests.diagnosis import MATCHES_ORACLE, PRECISION, SEMANTIC, UNEXPLAINED, Diagnosis, probe

NOT_EXPLAINED = "no hypothesis explains the output"

#: Precision hypotheses for a result of each dtype: the formats with a larger unit roundoff.
LOWER = {"float64": ("float32", "float16", "bfloat16"), "float32": ("float16", "bfloat16"),
         "float16": ("bfloat16",), "bfloat16": ()}


# --- shared -------------------------------------------------------------------------------------------

def _default(op: str, name: str):
    """The protocol's default for a keyword argument the failing call left out."""
    return inspect.signature(getattr(protocol, op)).parameters[name].default


def _argument(arguments: dict, op: str, name: str):
    return arguments[name] if name in arguments else _default(op, name)


def _float_dtype(dtype: str) -> str:
    """The failing result's dtype, when it is one the error model knows (else judged as float64: strictest)."""
    return dtype if dtype in error_model.UNIT_ROUNDOFF else "float64"


def _within(observed: np.ndarray, predicted: np.ndarray, tolerance) -> bool:
    """``assert_within``'s rule as a predicate: same shape, ±inf exactly, NaN never, else |Δ| ≤ tolerance."""
    if observed.shape != predicted.shape:
        return False
    same_inf = np.isinf(predicted) & (observed == predicted)
    with np.errstate(invalid="ignore"):
        error = np.where(same_inf, 0.0, np.abs(observed - predicted))
    return bool(np.all(error <= tolerance))  # NaN compares false


def _unexplained(text: str) -> Diagnosis:
    return Diagnosis(UNEXPLAINED, "", text)


def _semantic(hypothesis: str, text: str) -> Diagnosis:
    return Diagnosis(SEMANTIC, hypothesis, text)


def _precision(hypothesis: str, text: str) -> Diagnosis:
    return Diagnosis(PRECISION, hypothesis, f"{text}: a precision limit, not a semantic error")


def _raised(call: str) -> Diagnosis:
    return _unexplained(f"no diagnosis: the target raised or returned no array on the diagnosis probe {call}")


def _wrong_shape(call: str, shape, expected) -> Diagnosis:
    return _unexplained(f"no diagnosis: the diagnosis probe {call} returned shape {tuple(shape)}, expected {tuple(expected)}")


def _first(hypotheses, case) -> Diagnosis | None:
    for hypothesis in hypotheses:
        found = hypothesis(case)
        if found is not None:
            return found
    return None


def _round_candidates(estimate: float) -> list[float]:
    """An estimate rounded to 1, 2, 3, 4 and 6 significant digits, then itself: real bugs use round numbers."""
    candidates = []
    for value in [float(f"{estimate:.{digits}g}") for digits in (1, 2, 3, 4, 6)] + [estimate]:
        if value not in candidates:
            candidates.append(value)
    return candidates


def _holding(values: np.ndarray, dtype: str) -> list[str]:
    """The lower-precision dtypes that hold every finite value exactly (stored in them, then widened), fewest
    significand bits first: the first is the most specific precision claim (bfloat16 values are float16 ones too)."""
    finite = values[np.isfinite(values)]
    with np.errstate(over="ignore", invalid="ignore"):
        return [lower for lower in sorted(LOWER[dtype], key=error_model.unit_roundoff, reverse=True)
                if np.array_equal(finite.astype(numpy_dtype(lower)).astype(np.float64), finite)]


def _held_in(holding: list[str]) -> str:
    """'held in bfloat16' — naming the wider formats that hold the values too, where the probe cannot tell them apart."""
    wider = [lower for lower in holding[1:] if lower != "float32"]  # every half-precision value is a float32 one
    also = f" (its values are exact in {' and '.join(wider)} too)" if wider else ""
    return f"held in {holding[0]}{also}"


def _nearest_power_of_two(value: float) -> int | None:
    if not (math.isfinite(value) and value >= 0.5):
        return None
    return 1 << max(0, round(math.log2(value)))


# --- sinusoidal ---------------------------------------------------------------------------------------

#: Small positions (row 0 and 1 carry the offset and the base), then up to past 2^20 (float32 angles).
SINUSOIDAL_PROBE = (0, 1, 2, 3, 7, 100, 1000, 4097, 65537, 2**20 + 3)
#: Drawn positions of the failing call added to the probe (the first ones; they reproduce the case).
DRAWN = 16


class _SinusoidalCase:
    """The target's table on the probe positions, and predictions of it with the error model's tolerance."""

    def __init__(self, observed, positions, dim, base, layout, dtype):
        self.observed, self.positions, self.dim = observed, positions, dim
        self.base, self.layout, self.dtype = base, layout, dtype
        self.first, self.second = pair_indices(layout, dim)

    def prediction(self, *, positions=None, layout=None, frequencies=None, exponents=None, base=None,
                   slots=(np.sin, np.cos), dtype=None):
        """(table, tolerance): ``slots`` of the phases p·ω_i, ω_i = ``frequencies`` (a double-double; default
        base^(−2i/dim)), with κ_i from ``exponents`` and ``base``; sinusoidal_error of ``dtype`` per entry."""
        positions = self.positions if positions is None else positions
        base = self.base if base is None else base
        hi, lo = frequencies_dd(self.dim, base) if frequencies is None else frequencies
        exponents = pair_exponents(self.dim) if exponents is None else exponents
        phases = reduce_phases(positions, hi, lo)
        kappa = error_model.power_sensitivity(exponents, base)
        pair = error_model.sinusoidal_error(np.abs(positions.astype(np.float64))[:, None] * hi, kappa, dtype or self.dtype)
        first, second = pair_indices(layout or self.layout, self.dim)
        table, tolerance = np.empty((len(positions), self.dim)), np.empty((len(positions), self.dim))
        table[:, first], table[:, second] = slots[0](phases), slots[1](phases)
        tolerance[:, first] = tolerance[:, second] = pair
        return table, tolerance

    def fits(self, **model) -> bool:
        return _within(self.observed, *self.prediction(**model))

    def rows_fit(self, **model) -> np.ndarray:
        table, tolerance = self.prediction(**model)
        with np.errstate(invalid="ignore"):
            return np.all(np.abs(self.observed - table) <= tolerance, axis=1)

    def position_of(self, row: int) -> int | None:
        """The integer position whose phases best fit a row, unwrapped from the lowest frequency up (valid
        while |p|·ω_min < π); None for a row that is not a (sin, cos) table row."""
        sin, cos = self.observed[row, self.first], self.observed[row, self.second]
        if not (np.all(np.isfinite(sin)) and np.all(np.isfinite(cos))):
            return None
        phase = np.arctan2(sin, cos)
        omega = frequencies_dd(self.dim, self.base)[0]
        estimate = 0.0
        for i in np.argsort(omega):
            estimate += math.remainder(phase[i] - estimate * omega[i], 2 * math.pi) / omega[i]
        return round(estimate) if math.isfinite(estimate) else None

    def row(self, position: int) -> int | None:
        found = np.flatnonzero(self.positions == position)
        return int(found[0]) if found.size else None


def _other_layout(case):
    other = "concat" if case.layout == "interleaved" else "interleaved"
    if case.fits(layout=other):
        return _semantic("other layout", f"returns the {other} table where layout={case.layout!r} was asked")


def _swapped_sin_cos(case):
    if case.fits(slots=(np.cos, np.sin)):
        return _semantic("swapped sin/cos", "cos where sin belongs and sin where cos belongs (sin and cos swapped)")


def _sin_only(case):
    if case.fits(slots=(np.sin, np.sin)):
        return _semantic("sin only", "sin in both slots of every pair (no cos at all)")


def _position_offset(case):
    row = case.row(0)
    offset = None if row is None else case.position_of(row)
    if offset and case.fits(positions=case.positions + offset):
        return _semantic("position offset", f"evaluates position p {'+' if offset > 0 else '−'} {abs(offset)} instead of p "
                                            f"(positions offset by {offset})")


def _position_cap(case):
    """Rows correct up to some probe position, then all equal to PE(N) for the N the last row encodes."""
    good = case.rows_fit()
    if good.all() or not good[0]:
        return None
    first_bad = int(np.argmin(good))
    cap = case.position_of(len(case.positions) - 1)
    if cap is None or not case.positions[first_bad - 1] <= cap < case.positions[first_bad]:
        return None
    if case.fits(positions=np.minimum(case.positions, cap)):
        return _semantic("position cap", f"positions capped at {cap}: every position past it gets the row of {cap}")


@lru_cache(maxsize=256)
def _t2t_frequencies(dim: int, base: float) -> tuple[np.ndarray, np.ndarray]:
    """tensor2tensor's ω_i = base^(−i/(dim/2 − 1)) as a double-double."""
    with mpmath.workprec(160):
        return split_dd([mpmath.mpf(base) ** (-mpmath.mpf(i) / (dim // 2 - 1)) for i in range(dim // 2)])


def _t2t_denominator(case):
    if case.dim < 4:
        return None
    exponents = np.arange(case.dim // 2) / (case.dim // 2 - 1)
    for layout in dict.fromkeys((case.layout, "concat")):
        if case.fits(frequencies=_t2t_frequencies(case.dim, case.base), exponents=exponents, layout=layout):
            where = "" if layout == case.layout else f" in the concat layout where layout={case.layout!r} was asked"
            return _semantic("t2t denominator", "tensor2tensor's frequencies ω_i = base^(−i/(dim/2 − 1)) instead of "
                                                f"base^(−2i/dim){where}")


def _other_base(case):
    """b̂ from the pair-1 phase at position 1 (ω_1 = b^(−2/dim) ∈ (0, 1)), then its round values."""
    row = case.row(1)
    if row is None or case.dim < 4:
        return None
    omega = math.atan2(case.observed[row, case.first[1]], case.observed[row, case.second[1]])
    if not 0 < omega < 1:
        return None
    with np.errstate(over="ignore"):
        estimate = float(np.float64(omega) ** (-case.dim / 2))
    if not (math.isfinite(estimate) and estimate > 1):
        return None
    for base in _round_candidates(estimate):
        if base > 1 and not math.isclose(base, case.base, rel_tol=1e-9) and case.fits(base=base):
            default = _default("sinusoidal", "base")
            note = f" (ignores base: uses the default {default:g})" if base == default else ""
            return _semantic("other base", f"base ≈ {base:g} where base={case.base:g} was asked{note}")


def _lower_precision_table(case):
    """Held in a lower dtype and within its error model; or, for a float64 table, within the float32-angle model."""
    holding = _holding(case.observed, case.dtype)
    if holding and case.fits(dtype=holding[0]):
        return _precision(f"{holding[0]} table", f"a table computed with float32 angles and {_held_in(holding)}, "
                                                 f"returned as {case.dtype}")
    if case.dtype == "float64" and case.fits(dtype="float32"):
        return _precision("float32 angles", "angles computed in float32 (values within the float32-angle error model), "
                                            "returned as float64")


SINUSOIDAL_HYPOTHESES = (_other_layout, _swapped_sin_cos, _sin_only, _position_offset, _position_cap, _t2t_denominator,
                         _lower_precision_table, _other_base)


def diagnose_sinusoidal(target, dtype: str, arguments: dict) -> Diagnosis:
    dim = arguments["dim"]
    base = float(_argument(arguments, "sinusoidal", "base"))
    layout = _argument(arguments, "sinusoidal", "layout")
    drawn = np.asarray(arguments.get("positions", ()), np.int64).ravel()[:DRAWN]
    positions = np.union1d(SINUSOIDAL_PROBE, drawn[drawn >= 0])
    limit = target.max_position("sinusoidal")
    if limit is not None:
        positions = positions[positions <= limit]
    observed = probe(target, "sinusoidal", target.asarray(positions), dim, base=base, layout=layout)
    call = f"sinusoidal(positions={positions.tolist()}, dim={dim}, base={base:g}, layout={layout!r})"
    if observed is None:
        return _raised(call)
    if observed.shape != (len(positions), dim):
        return _wrong_shape(call, observed.shape, (len(positions), dim))
    case = _SinusoidalCase(observed, positions, dim, base, layout, _float_dtype(dtype))
    if case.fits():
        return _unexplained(MATCHES_ORACLE)
    return _first(SINUSOIDAL_HYPOTHESES, case) or _unexplained(f"{NOT_EXPLAINED} of {call}")


# --- ALiBi slopes -------------------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def _two_to_minus(exponent: Fraction) -> float:
    """2^(−exponent) correctly rounded to float64."""
    with mpmath.workprec(100):
        return float(mpmath.mpf(2) ** (-mpmath.mpf(exponent.numerator) / exponent.denominator))


class _Slopes:
    """Slopes (values) with the power k of each (m_h = r^k: the error model's slope tolerance grows with k)."""

    def __init__(self, values, powers):
        self.values, self.powers = np.asarray(values, np.float64), np.asarray(powers, np.int64)

    @classmethod
    @lru_cache(maxsize=256)
    def oracle(cls, n: int) -> _Slopes:
        """The oracle's slopes (``spec.alibi``) and powers, as the slope properties judge them."""
        return cls(alibi.alibi_slopes(n), alibi.slope_powers(n)[1])

    @classmethod
    def rule(cls, n: int, *, interleave: bool = True, shift: int = 0, first: int | None = None) -> _Slopes:
        """2^(−r·k) exactly for the first ``first`` (default all) of n heads: the reference rule (P = 2^⌊log₂ n⌋,
        extras halfway); ``interleave=False``: 2^(−8h/n) for every n; ``shift`` moves every power k that many steps."""
        if interleave:
            p = 1 << (n.bit_length() - 1)
            ratios = [Fraction(8, p)] * p + [Fraction(4, p)] * (n - p)
            powers = np.array(list(range(1, p + 1)) + list(range(1, 2 * (n - p), 2))) + shift
        else:
            ratios, powers = [Fraction(8, n)] * n, np.arange(1, n + 1) + shift
        ratios, powers = ratios[:first], powers[:first]
        return cls([_two_to_minus(r * int(k)) for r, k in zip(ratios, powers)], powers)

    def tolerance(self, dtype: str) -> np.ndarray:
        return error_model.alibi_slope_error(self.values, self.powers, dtype)


def _other_head_count(n: int, first_slope: float | None):
    """slopes(n′)[:n] for the power of two n′ > n that the first slope 2^(−8/n′) implies."""
    if first_slope is None or not 0 < first_slope < 1:
        return None
    heads = _nearest_power_of_two(8 / -math.log2(first_slope))
    if heads is None or heads <= n or heads > 1 << 16:
        return None
    return "other head count", _Slopes.rule(heads, first=n), f"slopes of {heads} heads truncated to {n}"


def _no_interleave_rule(n: int):
    if n & (n - 1) == 0:  # a power of two: the rule is the series
        return None
    p = 1 << (n.bit_length() - 1)
    return ("no interleave rule", _Slopes.rule(n, interleave=False),
            f"the geometric series 2^(−8h/{n}), h = 1…{n}, for {n} heads instead of slopes({p}) and the interleaved extras")


def _slope_exponent_offsets(n: int):
    for shift, how in ((-1, "starts at h = 0 (first slope 1)"), (1, "starts at h = 2")):
        step = "low" if shift < 0 else "high"
        yield "slope exponent offset", _Slopes.rule(n, shift=shift), f"the slope exponent {how}: every power one step {step}"


def _slope_hypotheses(n: int, first_slope: float | None):
    """(id, slopes, text) of every slope hypothesis for n heads, in order."""
    for found in (_other_head_count(n, first_slope), _no_interleave_rule(n)):
        if found is not None:
            yield found
    yield from _slope_exponent_offsets(n)


def diagnose_alibi_slopes(target, dtype: str, arguments: dict) -> Diagnosis:
    n = arguments["num_heads"]
    observed = probe(target, "alibi_slopes", n)
    call = f"alibi_slopes({n})"
    if observed is None:
        return _raised(call)
    if observed.shape != (n,):
        return _wrong_shape(call, observed.shape, (n,))
    dtype = _float_dtype(dtype)
    oracle = _Slopes.oracle(n)
    if _within(observed, oracle.values, oracle.tolerance(dtype)):
        return _unexplained(MATCHES_ORACLE)
    for hypothesis, slopes, text in _slope_hypotheses(n, float(observed[0])):
        if _within(observed, slopes.values, slopes.tolerance(dtype)):
            return _semantic(hypothesis, text)
    holding = _holding(observed, dtype)
    if holding and _within(observed, oracle.values, oracle.tolerance(holding[0])):
        return _precision(f"{holding[0]} slopes", f"slopes {_held_in(holding)}, within its error model, returned as {dtype}")
    return _unexplained(f"{NOT_EXPLAINED} of {call}")


# --- ALiBi bias ---------------------------------------------------------------------------------------

#: A probe with q_len < k_len (a KV cache) beside the failing shape: top-left alignment shows only there.
CACHE_SHAPE = (3, 7)


def _bias(slopes: np.ndarray, q_len: int, k_len: int, *, top_left=False, sign=-1, mask="causal"):
    """(bias, query positions): ``mask`` "causal" (j ≤ i₀ visible), "diagonal" (j < i₀) or "none" (sign·m·|i₀ − j|)."""
    query = np.arange(q_len) + (0 if top_left else k_len - q_len)
    distance = (query[:, None] - np.arange(k_len)[None, :]).astype(np.float64)
    m = slopes[:, None, None]
    if mask == "none":
        return sign * m * np.abs(distance), query
    visible = distance > 0 if mask == "diagonal" else distance >= 0
    return np.where(visible, sign * m * distance, -np.inf), query


def _bias_fits(observed, predicted, query, slopes: _Slopes, dtype: str, per_row: bool) -> bool:
    """Same −inf entries, and the finite ones within alibi_bias_error: exactly (symmetric), or after subtracting
    each row's entry at its last visible key r from both (a per-row constant), span |i₀−j| + |j| + |i₀−r| + |r|."""
    if observed.shape != predicted.shape or not np.array_equal(np.isneginf(observed), np.isneginf(predicted)):
        return False
    keys = np.arange(predicted.shape[-1], dtype=np.float64)
    span = np.abs(query[:, None] - keys[None, :])
    if per_row and predicted.size:
        visible = np.isfinite(predicted[0])  # the mask is the same for every head
        reference = predicted.shape[-1] - 1 - np.argmax(visible[:, ::-1], axis=-1)
        rows = np.arange(len(query))
        has_reference = visible.any(-1)
        with np.errstate(invalid="ignore"):  # a +inf or NaN of the target's stays non-finite: _within rejects it
            observed = observed - np.where(has_reference, observed[:, rows, reference], 0.0)[..., None]
        predicted = predicted - np.where(has_reference, predicted[:, rows, reference], 0.0)[..., None]
        span = span + keys[None, :] + (np.abs(query - reference) + reference)[:, None]
    tolerance = error_model.alibi_bias_error(slopes.values[:, None, None], slopes.powers[:, None, None], span[None], dtype)
    return _within(observed, predicted, tolerance)


class _BiasCase:
    """The target's bias on the failing shape and a KV-cache shape; predictions of both."""

    def __init__(self, observed: dict, n: int, causal: bool, dtype: str):
        self.observed, self.n, self.causal, self.dtype = observed, n, causal, dtype  # observed: (q, k) -> array
        self.oracle = _Slopes.oracle(n)

    def fits(self, slopes: _Slopes | None = None, *, dtype=None, mask=None, **model) -> bool:
        slopes = slopes or self.oracle
        mask = mask or ("causal" if self.causal else "none")
        for (q_len, k_len), observed in self.observed.items():
            predicted, query = _bias(slopes.values, q_len, k_len, mask=mask, **model)
            if not _bias_fits(observed, predicted, query, slopes, dtype or self.dtype, self.causal or mask != "none"):
                return False
        return True

    def first_slope(self) -> float | None:
        """Head 0's slope, |Δbias| / |Δj| between the outermost finite keys of a last row (whose query sits at or
        after every key, so the bias is linear in j there, causal or symmetric)."""
        for observed in self.observed.values():
            row = observed[0, -1] if observed.shape[1] else np.empty(0)
            finite = np.flatnonzero(np.isfinite(row))
            if len(finite) >= 2:
                return float(abs(row[finite[-1]] - row[finite[0]]) / (finite[-1] - finite[0]))
        return None


def _top_left(case):
    if case.fits(top_left=True):
        return _semantic("top-left alignment", "query i placed at position i (top-left alignment) instead of k_len − q_len + i")


def _opposite_sign(case):
    if case.fits(sign=1):
        form = "+m·(i − j) instead of −m·(i − j)" if case.causal else "+m·|i − j| instead of −m·|i − j|"
        return _semantic("opposite sign", f"{form}: the bias favours far keys (opposite sign)")


def _diagonal_masked(case):
    if case.causal and case.fits(mask="diagonal"):
        return _semantic("diagonal masked", "the causal mask hides the query's own key too (keys j ≥ i masked instead of j > i)")


def _causal_ignored(case):
    if not case.causal and case.fits(mask="causal"):
        return _semantic("causal ignored", "causal=False answered with the causal (masked) bias instead of −m·|i − j|")


def _no_causal_mask(case):
    if case.causal and case.fits(mask="none"):
        return _semantic("no causal mask", "causal=True answered without the mask: −m·|i − j| for keys after the query "
                                           "instead of −inf")


def _bias_slopes(case):
    for hypothesis, slopes, text in _slope_hypotheses(case.n, case.first_slope()):
        if case.fits(slopes):
            return _semantic(hypothesis, f"the bias uses {text}")


def _lower_precision_bias(case):
    """Within a lower dtype's model: named for the narrowest dtype holding the values, else for the widest that fits."""
    fitting = [lower for lower in LOWER[case.dtype] if case.fits(dtype=lower)]
    if not fitting:
        return None
    holding = _holding(np.concatenate([b.ravel() for b in case.observed.values()]), case.dtype)
    if holding and holding[0] in fitting:
        return _precision(f"{holding[0]} bias", f"the bias is {_held_in(holding)}, within its error model, returned as "
                                                f"{case.dtype}")
    return _precision(f"{fitting[0]} bias", f"the bias is within the {fitting[0]} error model, returned as {case.dtype}: "
                                            f"computed in {fitting[0]}")


BIAS_HYPOTHESES = (_top_left, _opposite_sign, _diagonal_masked, _causal_ignored, _no_causal_mask, _bias_slopes,
                   _lower_precision_bias)


def diagnose_alibi_bias(target, dtype: str, arguments: dict) -> Diagnosis:
    n, causal = arguments["num_heads"], _argument(arguments, "alibi_bias", "causal")
    # The small shape first: most wrong hypotheses fail there, before the failing shape's larger bias is built.
    shapes = list(dict.fromkeys((CACHE_SHAPE, (arguments["q_len"], arguments["k_len"]))))
    observed = {}
    for q_len, k_len in shapes:
        call = f"alibi_bias({n}, {q_len}, {k_len}, causal={causal})"
        observed[q_len, k_len] = probe(target, "alibi_bias", n, q_len, k_len, causal=causal)
        if observed[q_len, k_len] is None:
            return _raised(call)
        if observed[q_len, k_len].shape != (n, q_len, k_len):
            return _wrong_shape(call, observed[q_len, k_len].shape, (n, q_len, k_len))
    case = _BiasCase(observed, n, causal, _float_dtype(dtype))
    if case.fits():
        return _unexplained(MATCHES_ORACLE)
    return _first(BIAS_HYPOTHESES, case) or _unexplained(f"{NOT_EXPLAINED} of alibi_bias({n}, …, causal={causal}) "
                                                         f"on the shapes {shapes}")


# --- T5 -----------------------------------------------------------------------------------------------

#: Log-spaced distances between 2·max_exact and 4·max_distance (the dense exact region comes separately).
LOG_PROBES = 48
#: A distance far past every max_distance (a modulo cap wraps there, a min cap does not).
FAR = 10**6
#: The most max_distance values tried when the log buckets leave several (each is one vectorised prediction).
MAX_DISTANCE_CANDIDATES = 64


def _t5_geometry(bidirectional: bool, num_buckets: int) -> tuple[int, int]:
    """(buckets per side, max_exact)."""
    half = num_buckets // 2 if bidirectional else num_buckets
    return half, half // 2


def _t5_probe(config: dict, drawn) -> np.ndarray:
    """Every distance up to 2·max_exact + 1, log-spaced ones to 4·max_distance, max_distance ± 1, far; both signs;
    plus up to DRAWN·4 of the failing call's relative positions."""
    _, max_exact = _t5_geometry(config["bidirectional"], config["num_buckets"])
    d = config["max_distance"]
    distances = np.concatenate([np.arange(2 * max_exact + 2), np.geomspace(max(2 * max_exact, 1), 4 * d, LOG_PROBES).round(),
                                [d - 1, d, d + 1, FAR]]).astype(np.int64)
    drawn = np.unique(np.asarray(drawn if drawn is not None else (), np.int64).ravel())
    drawn = drawn[np.linspace(0, len(drawn) - 1, min(len(drawn), 4 * DRAWN)).astype(int)] if len(drawn) else drawn
    return np.union1d(np.concatenate([-distances, distances]), drawn)


def _t5_model(relative, bidirectional, num_buckets, max_distance, *, max_exact=None, sign=1, rounding=0.0,
              cap="min", log_dtype="float32"):
    """The buckets of a T5 variant and their also-acceptable neighbours: a tuple of int64 arrays, or None where the
    variant is undefined. ``rounding`` is added to the log coordinate x before the floor (0.5: round to nearest);
    where x + rounding lies within t5_log_slack (scaled to ``log_dtype``) of an integer, both floors are accepted."""
    half, default_exact = _t5_geometry(bidirectional, num_buckets)
    exact = default_exact if max_exact is None else max_exact
    steps = half - exact
    if not (1 <= exact < max_distance and steps >= 1):
        return None
    n = -sign * np.asarray(relative, np.int64)
    if bidirectional:
        side, n = np.where(n < 0, half, 0), np.abs(n)
    else:
        side, n = np.zeros_like(n), np.maximum(n, 0)
    ratio = math.log(max_distance / exact)
    x = steps * np.log(np.maximum(n, exact) / exact) / ratio + rounding
    # t5_log_slack is the float32 bound; the same ulp count in another dtype scales with its unit roundoff.
    scale = error_model.unit_roundoff(log_dtype) / error_model.unit_roundoff("float32")
    slack = error_model.t5_log_slack(x, steps, ratio) * scale
    offset = np.floor(x)
    in_log = n > exact
    floors = (offset,
              np.where(in_log & (x - offset <= slack) & (offset > 0), offset - 1, offset),
              np.where(in_log & (offset + 1 - x <= slack), offset + 1, offset))
    capped = (lambda b: np.minimum(b, half - 1)) if cap == "min" else (lambda b: b % half)
    return tuple(side + np.where(n < exact, n, capped(exact + f.astype(np.int64))) for f in floors)


def _t5_fits(observed, buckets) -> bool:
    if buckets is None or observed.shape != buckets[0].shape:
        return False
    return bool(np.all(np.any([observed == b for b in buckets], axis=0)))


class _T5Case:
    """The target's buckets on the probe distances, and the variants that may explain them."""

    def __init__(self, observed, relative, config):
        self.observed, self.relative, self.config = observed, relative, config
        self.half, self.max_exact = _t5_geometry(config["bidirectional"], config["num_buckets"])

    def fits(self, **variant) -> bool:
        """Whether the variant (``_t5_model``'s keywords, or another bidirectional/max_distance) explains every probe."""
        config = {**self.config, **{k: v for k, v in variant.items() if k in self.config}}
        model = {k: v for k, v in variant.items() if k not in self.config}
        return _t5_fits(self.observed, _t5_model(self.relative, **config, **model))

    def max_distance_range(self) -> range:
        """The max_distance values consistent with the uncapped log buckets of keys before the query: each bucket
        o = ⌊B·ln(n/E)/ln(D/E)⌋ bounds ln(D/E) from both sides (a capped one from above only)."""
        e, steps = self.max_exact, self.half - self.max_exact
        n, offset = -self.relative, self.observed - self.max_exact
        used = (n > e) & (offset >= 0) & (offset <= steps - 1)
        g, offset = steps * np.log(n[used] / e), offset[used]
        capped = offset == steps - 1
        low = max([0.0, *(g[~capped] / (offset[~capped] + 1))])
        high = min([math.inf, *(g[offset > 0] / offset[offset > 0])])
        if not low < high < math.inf:
            return range(0)
        return range(math.floor(e * math.exp(low)) + 1, math.floor(e * math.exp(high)) + 1)


def _sign_convention(case):
    if case.fits(sign=-1):
        return _semantic("sign convention", "takes relative_position as query − key (the sign flipped): keys after the "
                                            "query get the buckets of keys before it")


def _bidirectional_ignored(case):
    asked = case.config["bidirectional"]
    if case.fits(bidirectional=not asked):
        return _semantic("bidirectional ignored", f"bidirectional={asked} ignored: the buckets of bidirectional={not asked}")


def _rounded_log_bucket(case):
    if case.fits(rounding=0.5):
        return _semantic("rounded log bucket", "rounds the log-region coordinate to nearest instead of taking its floor")


def _other_max_exact(case):
    for exact in sorted(set(range(1, case.half)) - {case.max_exact}, key=lambda e: (abs(e - case.max_exact), e)):
        if case.fits(max_exact=exact):
            return _semantic("other max_exact", f"max_exact = {exact} instead of {case.max_exact} (half of the {case.half} "
                                                "buckets per side)")


def _modulo_cap(case):
    if case.fits(cap="mod"):
        return _semantic("modulo cap", f"wraps the log bucket modulo {case.half} instead of capping it at {case.half - 1}")


def _roundness(value: int) -> tuple[int, int]:
    """Fewer significant digits first (real configurations use round numbers)."""
    digits = str(value).rstrip("0")
    return len(digits), value


def _other_max_distance(case):
    """The default (max_distance ignored), else the roundest of the values the log buckets allow that fits."""
    asked, default = case.config["max_distance"], _default("t5_bucket", "max_distance")
    if default != asked and case.fits(max_distance=default):
        return _semantic("other max_distance", f"max_distance = {default} (the default: max_distance ignored) where "
                                               f"{asked} was asked")
    allowed = case.max_distance_range()
    if not 0 < len(allowed) <= MAX_DISTANCE_CANDIDATES:
        return None
    fitting = [d for d in allowed if d != asked and case.fits(max_distance=d)]
    if fitting:
        spread = f" (the probes allow {fitting[0]}–{fitting[-1]})" if len(fitting) > 1 else ""
        return _semantic("other max_distance", f"max_distance ≈ {min(fitting, key=_roundness)}{spread} where {asked} "
                                               "was asked")


def _float16_log(case):
    if case.fits(log_dtype="float16"):
        return _precision("float16 log", "log-region buckets within the float16 error model (the log coordinate computed "
                                         "in float16)")


T5_HYPOTHESES = (_sign_convention, _bidirectional_ignored, _rounded_log_bucket, _other_max_exact, _modulo_cap,
                 _float16_log, _other_max_distance)


def diagnose_t5_bucket(target, dtype: str, arguments: dict) -> Diagnosis:
    config = {name: _argument(arguments, "t5_bucket", name) for name in ("bidirectional", "num_buckets", "max_distance")}
    relative = _t5_probe(config, arguments.get("relative_position"))
    observed = probe(target, "t5_bucket", target.asarray(relative), **config)
    shown = ", ".join(f"{k}={v}" for k, v in config.items())
    call = f"t5_bucket(relative_position=[{relative.min()} … {relative.max()}] ({relative.size} values), {shown})"
    if observed is None:
        return _raised(call)
    if observed.shape != relative.shape:
        return _wrong_shape(call, observed.shape, relative.shape)
    exact, also = t5.t5_bucket(relative, **config)
    if np.all((observed == exact) | (observed == also)):
        return _unexplained(MATCHES_ORACLE)
    return _first(T5_HYPOTHESES, _T5Case(observed, relative, config)) or _unexplained(f"{NOT_EXPLAINED} of {call}")
