r"""Precision horizon: the largest position up to which a target's RoPE stays trustworthy.

The error model's tolerances grow with |mθ| (a float32 angle is only as exact as its position
allows), so every correct-in-the-model implementation passes the properties at any position; the
horizon says where the accuracy *users* need runs out. For one configuration — by default head_dim =
rotary_dim = 128, base 5·10⁵ (Llama 3); a model's own (``--model``: its head_dim, rotary_dim, base,
scaling at its context length, layout) — and one dtype

(the half layout, or the interleaved one for a target that offers only that)

(a) **agreement**: e_a(m) = max over pairs i of |ĉ_i − cos mθ_i| and |ŝ_i − sin mθ_i|, read off the
    target's rotation of the unit vectors e_i (cos and sin of every pair at once, exact phases from
    ``spec.phases``; divided by the attention factor of a scaled map);
(b) **relative-only scores**: e_b(m, n) = |⟨f(q,m), f(k,n)⟩ − qᵀR(n−m)k| / (‖q‖‖k‖) for random q, k
    (over the rotary dims, the attention factor divided out)
    and n = m − r, r < 4096 (a query and a recent key), the right side from
    ``proofs.rope.relative_score`` at the exact phase of n − m.

The horizon of each is the largest P such that no position m ≤ P was found with e > THRESHOLD =
10⁻² (one percent of the unit amplitude — the size of a rounding-induced attention-logit error
that changes which keys win). Search, below the limit 2²⁴ (float32 holds integers exactly up to it):
a scan of every octave [2^k, 2^(k+1)) at 8 seeded positions (32 in the thorough profile); a bracketing scan of 1024 evenly
spaced positions between the last clean scan point and the first violation; then a Hypothesis
search (``target()`` pushes toward the worst error) below the horizon found, which lowers it if it
finds a violation, up to three rounds. Deterministic: fixed seeds, derandomized Hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings, target
from hypothesis import strategies as st

from proofs import rope as proofs
from spec.layouts import pair_indices, split_pairs
from spec.phases import reduce_phases
from spec.scaling import frequency_model
from tests.strategies import exactly_in

HEAD_DIM = 128
BASE = 500000.0
THRESHOLD = 1e-2
LIMIT = 2**24 - 1
BRACKET = 1024
MAX_SHIFT = 4096


def effort() -> tuple[int, int]:
    """(scan positions per octave, Hypothesis search examples): the current profile's examples, 8 per octave
    by default, 32 in the thorough profile."""
    from hypothesis import settings as current

    examples = current.default.max_examples
    return (32 if examples >= 100 else 8), examples


@dataclass(frozen=True)
class Horizon:
    """The horizon of one measure: ``position`` (LIMIT if nothing was found), the first violation, the worst error."""

    position: int
    violation: int | None
    worst_below: float
    worst_at_violation: float | None

    def describe(self) -> str:
        if self.violation is None:
            return f"≥ {self.position} (no violation up to the search limit; worst {self.worst_below:.2g})"
        return f"{self.position} (error {self.worst_at_violation:.2g} at {self.violation}; worst below {self.worst_below:.2g})"


def scan_positions(per_octave: int, limit: int = LIMIT, seed: int = 0) -> np.ndarray:
    """Every octave of [1, limit] at ``per_octave`` seeded positions, plus 0, the octave starts and ``limit``."""
    rng = np.random.default_rng(seed)
    found = [np.array([0, limit])]
    for k in range(limit.bit_length()):
        found.append(np.concatenate([[2**k], rng.integers(2**k, min(2 ** (k + 1), limit + 1), size=per_octave)]))
    return np.unique(np.concatenate(found)).astype(np.int64)


@dataclass(frozen=True)
class Configuration:
    """The RoPE configuration a horizon is measured for; ``layout`` None: half, or interleaved if half is not provided."""

    head_dim: int = HEAD_DIM
    rotary_dim: int = HEAD_DIM
    base: float = BASE
    scaling: dict | None = None
    seq_len: int | None = None
    layout: str | None = None

    def describe(self) -> str:
        scaled = f", {self.scaling['rope_type']} scaling at seq_len {self.seq_len}" if self.scaling else ""
        partial = f", rotary_dim {self.rotary_dim}" if self.rotary_dim != self.head_dim else ""
        return f"head_dim {self.head_dim}{partial}, base {self.base:g}{scaled}"


class Measure:
    """e_a and e_b of one target in one dtype and configuration, vectorized over positions."""

    def __init__(self, target, dtype: str, configuration: Configuration = Configuration()):
        self.target, self.dtype, self.c = target, dtype, configuration
        self.model = frequency_model(configuration.rotary_dim, configuration.base, configuration.scaling, configuration.seq_len)
        # A table-based target (MAX_POSITION) is searched up to its table's end only.
        self.limit = min(LIMIT, target.max_position("rope_apply") or LIMIT)
        self.layout = configuration.layout or "half"
        if configuration.layout is None:
            try:
                self._rotate(np.zeros((1, 1, configuration.head_dim)), np.zeros(1, np.int64))
            except pytest.skip.Exception:  # the half layout is not provided: measure the interleaved one
                self.layout = "interleaved"
        rd = configuration.rotary_dim
        self.first, self.second = pair_indices(self.layout, rd)
        self.units = np.zeros((rd // 2, 1, configuration.head_dim))
        self.units[np.arange(rd // 2), 0, self.first] = 1.0  # e_i: the first coordinate of pair i
        rng = np.random.default_rng(1)
        self.q = exactly_in(rng.standard_normal((1, 1, configuration.head_dim)), dtype)
        self.k = exactly_in(rng.standard_normal((1, 1, configuration.head_dim)), dtype)

    def _rotate(self, x: np.ndarray, positions: np.ndarray) -> np.ndarray:
        from tests.checks import call  # the op call with its shape/dtype/type checks

        c = self.c
        x = np.broadcast_to(x, (*x.shape[:-2], len(positions), c.head_dim)).copy()
        return call(self.target, "rope_apply", self.target.asarray(x, self.dtype),
                    self.target.asarray(positions.astype(np.int64)), shape=x.shape, dtype=self.dtype,
                    base=c.base, layout=self.layout, rotary_dim=c.rotary_dim, scaling=c.scaling, seq_len=c.seq_len)

    def cos_sin(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ĉ, ŝ, exact phases), each ``[seq, pair]``: the target's cos and sin of every pair, read off its rotation
        of the unit vectors e_i and divided by the attention factor."""
        out = self._rotate(self.units, positions) / self.model.attention_factor  # [pair, seq, head_dim]
        pairs = np.arange(self.c.rotary_dim // 2)
        return out[pairs, :, self.first].T, out[pairs, :, self.second].T, reduce_phases(positions, self.model.hi, self.model.lo)

    def agreement(self, positions: np.ndarray) -> np.ndarray:
        """e_a per position."""
        cos, sin, phases = self.cos_sin(positions)
        return np.maximum(np.abs(cos - np.cos(phases)), np.abs(sin - np.sin(phases))).max(axis=1)

    @staticmethod
    def shift(positions: np.ndarray) -> np.ndarray:
        """r(m) in [0, MAX_SHIFT): a fixed function of m (Knuth's multiplicative hash), whatever else is evaluated with it."""
        return (positions.astype(np.uint64) * np.uint64(2654435761)) % np.uint64(MAX_SHIFT)

    def relative(self, positions: np.ndarray) -> np.ndarray:
        """e_b per query position m, the key at n = max(m − r(m), 0)."""
        keys = np.maximum(positions - self.shift(positions), 0)
        rd, af = self.c.rotary_dim, self.model.attention_factor
        fq, fk = self._rotate(self.q, positions) / af, self._rotate(self.k, keys) / af
        (a1, a2), (b1, b2) = split_pairs(fq, self.layout, rd), split_pairs(fk, self.layout, rd)
        observed = (a1 * b1 + a2 * b2).sum(-1)[0]
        (q1, q2), (k1, k2) = split_pairs(self.q, self.layout, rd), split_pairs(self.k, self.layout, rd)
        phase = reduce_phases(keys - positions, self.model.hi, self.model.lo)
        expected = proofs.relative_score()(q1[0], q2[0], k1[0], k2[0], phase).sum(-1)
        norms = np.sqrt((q1**2 + q2**2).sum() * (k1**2 + k2**2).sum())
        return np.abs(observed - expected) / norms


def _chunked(error, positions: np.ndarray, chunk: int = 512) -> np.ndarray:
    return np.concatenate([error(positions[i : i + chunk]) for i in range(0, len(positions), chunk)])


def _hunt(error, limit: int, examples: int) -> int | None:
    """The smallest violating position Hypothesis finds in [0, limit], pushed by ``target()``."""
    violations = []

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate, Phase.target], suppress_health_check=list(HealthCheck))
    @given(st.lists(st.integers(0, limit), min_size=8, max_size=8, unique=True))
    def hunt(drawn):
        positions = np.array(drawn, dtype=np.int64)
        errors = error(positions)
        target(float(errors.max()))
        violations.extend(positions[errors > THRESHOLD].tolist())

    hunt()
    return min(violations) if violations else None


def horizon(error, limit: int = LIMIT) -> Horizon:
    """The horizon of one measure (``Measure.agreement`` or ``Measure.relative``) below ``limit``, per the module docstring."""
    per_octave, examples = effort()
    scan = scan_positions(per_octave, limit)
    errors = _chunked(error, scan)
    bad = np.flatnonzero(errors > THRESHOLD)
    first_bad = int(scan[bad[0]]) if bad.size else None
    if first_bad is not None:
        last_good = int(scan[bad[0] - 1]) if bad[0] else 0
        bracket = np.unique(np.linspace(last_good, first_bad, BRACKET).astype(np.int64))
        bracket_errors = _chunked(error, bracket)
        first_bad = int(bracket[np.argmax(bracket_errors > THRESHOLD)])
    for _ in range(3):
        below = limit if first_bad is None else first_bad - 1
        found = _hunt(error, below, examples) if below > 0 else None
        if found is None:
            break
        first_bad = found
    position = limit if first_bad is None else first_bad - 1
    below = scan[scan <= position]
    worst_below = float(_chunked(error, below).max()) if below.size else 0.0
    at_violation = None if first_bad is None else float(error(np.array([first_bad]))[0])
    return Horizon(position, first_bad, worst_below, at_violation)

