"""Multi-axis RoPE properties (``rope_apply`` with ``scaling['mrope_section']``), from ``proofs/mrope.py``.

Positions are ``[3, seq]`` rows (t, h, w), drawn as real sequences look — a text run (t = h = w), an image
grid (t fixed, h and w its rows and columns), a video (t stepping per frame), text again, each segment
starting after the largest position so far (Qwen's ``get_rope_index``) — or at random. Sections are drawn
summing to rotary_dim/2, the shipped ones included ([16, 24, 24], [24, 20, 20], [8, 12, 12]), with both axis
assignments (chunked, interleaved; Ernie-4.5-VL's alternating h/w for targets declaring it) and both lane layouts, and partial rotary;
a quarter of the cases carry YaRN frequencies with their sections (Qwen2.5-VL's long-context recipe). Tolerances:
``spec.error_model.rope_error``/``rope_score_error`` at each pair's own position.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

from proofs import mrope as proofs
from proofs import rope as rope_proofs
from spec import error_model, rope
from spec.layouts import pair_indices, split_pairs
from spec.phases import reduce_phases
from spec.rope_parameters import mrope_axes
from spec.scaling import frequency_model
from tests.checks import assert_true, assert_within, call, conformance, not_provided
from tests.strategies import SEEDS, bases, even_between, exactly_in, within_limit
from tests.test_rope import on_both_lanes

LAYOUTS = pytest.mark.parametrize("layout", ["half", "interleaved"])
MODEL = "error_model.rope_error at each pair's own row position |P_a(i)|·θ_i"
SHIPPED = {64: ((16, 24, 24), (24, 20, 20), (22, 22, 20)), 32: ((8, 12, 12),)}
#: The axis assignments: Qwen2-VL's chunks, Qwen3-VL's interleave, Ernie-4.5-VL's alternating h/w then t (an extension).
STYLES = ("chunked", "interleaved", "hw_alternating")
ERNIE = "mrope_hw_alternating"


@cache
@st.composite
def sections(draw, pairs: int, style: str = "chunked"):
    shipped = tuple(s for s in SHIPPED.get(pairs, ()) if style != "hw_alternating" or s[0] == s[1])
    if shipped and draw(st.booleans()):
        return draw(st.sampled_from(shipped))
    if style == "hw_alternating":  # [s_h, s_w, s_t] with s_h = s_w
        hw = draw(st.integers(0, pairs // 2))
        return (hw, hw, pairs - 2 * hw)
    t = draw(st.integers(0, pairs))
    h = draw(st.integers(0, pairs - t))
    return (t, h, pairs - t - h)


# Folded under a cache-based target's MAX_POSITION.
COORDINATE_ROWS = st.lists(st.integers(0, 1 << 20).map(within_limit), min_size=3, max_size=3)
SEGMENT_STARTS = st.integers(0, 1 << 16).map(within_limit)


@cache
@st.composite
def position_rows(draw, max_len: int = 12):
    """[3, seq] positions: segments of text, image and video as Qwen2-VL lays them out, or random rows."""
    if draw(st.booleans()):
        return np.array(draw(st.lists(COORDINATE_ROWS, min_size=1, max_size=max_len))).T
    rows, start = [], draw(SEGMENT_STARTS)
    while len(rows) < max_len:
        kind = draw(st.sampled_from(("text", "image", "video")))
        if kind == "text":
            length = draw(st.integers(1, 4))
            rows += [(start + i,) * 3 for i in range(length)]
        else:
            frames = 1 if kind == "image" else draw(st.integers(2, 3))
            step = 1 if kind == "image" else draw(st.sampled_from((1, 2, 50)))  # Qwen2.5-VL: tokens_per_second·seconds
            height, width = draw(st.integers(1, 3)), draw(st.integers(1, 3))
            rows += [(start + f * step, start + r, start + c) for f in range(frames) for r in range(height) for c in range(width)]
        start = max(max(row) for row in rows) + 1
        if draw(st.booleans()):
            break
    return np.array(rows[:max_len], dtype=np.int64).T


@dataclass(frozen=True)
class MropeCase:
    head_dim: int
    rotary_dim: int
    base: float
    section: tuple
    style: str
    positions: np.ndarray
    seed: int
    frequencies: tuple = ()  # the scaler's items (Qwen2.5-VL ships YaRN with its sections); () is plain RoPE

    @property
    def plain(self) -> dict | None:
        """The scaling without the axis keys: what text tokens rotate by."""
        return dict(self.frequencies) or None

    @property
    def scaling(self):
        keys = {"interleaved": {"mrope_interleaved": True}, "hw_alternating": {ERNIE: True}}.get(self.style, {})
        return {**(self.plain or {"rope_type": "default"}), "mrope_section": list(self.section), **keys}

    def vectors(self, dtype: str, stream: int = 0, seq: int | None = None) -> np.ndarray:
        rng = np.random.default_rng([self.seed, stream])
        return exactly_in(rng.standard_normal((1, self.positions.shape[1] if seq is None else seq, self.head_dim)), dtype)

    def axes(self) -> np.ndarray:
        return np.array(mrope_axes(self.section, self.style == "interleaved", self.rotary_dim // 2,
                                   self.style == "hw_alternating"))


ROTARY_DIMS = st.one_of(st.sampled_from((128, 64)), even_between(1, 64))
MROPE_BASES = st.sampled_from((1e6, 5e6, 5e5, 1e4)) | bases()


@st.composite
def mrope_cases(draw, max_len: int = 12):
    rotary_dim = draw(ROTARY_DIMS)
    head_dim = rotary_dim + draw(st.sampled_from((0, 0, 2 * draw(st.integers(1, 32)))))
    style = draw(st.sampled_from(STYLES))
    yarn = {"rope_type": "yarn", "factor": draw(st.sampled_from((4.0, 2.0, 8.0))),
            "original_max_position_embeddings": draw(st.sampled_from((32768, 4096, 128)))}
    frequencies = tuple(yarn.items()) if rotary_dim >= 4 and draw(st.integers(0, 3)) == 0 else ()
    return MropeCase(head_dim=head_dim, rotary_dim=rotary_dim, base=draw(MROPE_BASES),
                     section=draw(sections(rotary_dim // 2, style)), style=style,
                     positions=draw(position_rows(max_len)), seed=draw(SEEDS), frequencies=frequencies)


def rotate(target, dtype, case, x, positions, layout, scaling="case"):
    if case.style == "hw_alternating" and not target.declares(ERNIE) or not target.implements(case.scaling["rope_type"]):
        reject()  # the gate never sends an undeclared extension or rope_type (spec/protocol.py)
    return call(target, "rope_apply", target.asarray(x, dtype), target.asarray(np.asarray(positions, np.int64)), shape=x.shape,
                dtype=dtype, base=case.base, layout=layout, rotary_dim=case.rotary_dim,
                scaling=case.scaling if scaling == "case" else scaling)


def pair_positions(case, positions) -> np.ndarray:
    """|P_a(i)| per position and pair, ``[seq, pairs]``."""
    rows = np.broadcast_to(np.asarray(positions, np.int64), (3, np.asarray(positions).shape[-1]))
    return np.abs(rows[case.axes(), :].T).astype(np.float64)


def tolerance(case, x, positions, layout, dtype):
    model = frequency_model(case.rotary_dim, case.base, case.scaling)
    x1, x2 = split_pairs(x, layout, case.rotary_dim)
    pair = error_model.rope_error(np.abs(x1) + np.abs(x2), pair_positions(case, positions) * model.hi, model.sensitivity, dtype,
                                  model.attention_factor)
    return on_both_lanes(pair, x, layout, case.rotary_dim)


@pytest.fixture(autouse=True)
def multi_axis_provided(request, target, dtype):
    """Before any example: a target offering no multi-axis RoPE in this layout (neither assignment of Qwen2-VL's
    shipped sections) is "not provided" at once, instead of after a hundred discarded examples."""
    layout = request.node.callspec.params.get("layout", "half")
    x = target.asarray(np.zeros((1, 1, 128)), dtype)
    rows = target.asarray(np.zeros((3, 1), np.int64))
    for interleaved in (False, True):
        scaling = {"rope_type": "default", "mrope_section": [16, 24, 24], "mrope_interleaved": interleaved}
        try:
            target.op("rope_apply")(x, rows, layout=layout, scaling=scaling)
            return
        except NotImplementedError:
            continue
        except Exception:  # noqa: BLE001 — a misbehaving target is for the property itself to report
            return
    not_provided(f"rope_apply: multi-axis RoPE (mrope_section) in the {layout} layout")


@conformance("rope_apply", "multi-axis oracle", derivation=proofs.RELATIVE.name)
@LAYOUTS
@given(case=mrope_cases())
def test_mrope_matches_oracle(target, dtype, layout, case):
    """Each pair rotated by its own row's position (``spec.rope``): catches rows swapped or shifted, the chunked map
    for the interleaved one (or the reverse) and the interleaved map taken as the lane layout."""
    x = case.vectors(dtype)
    observed = rotate(target, dtype, case, x, case.positions, layout)
    expected = rope.rope_apply(x, case.positions, base=case.base, layout=layout, rotary_dim=case.rotary_dim, scaling=case.scaling)
    assert_within(observed, expected, tolerance(case, x, case.positions, layout, dtype), what="M-RoPE R(P)x vs oracle",
                  how=MODEL, context={"t, h, w": lambda i: tuple(case.positions[:, i[1]])})


@conformance("rope_apply", "text degeneration", derivation=proofs.RELATIVE.name)
@LAYOUTS
@given(case=mrope_cases())
def test_mrope_text_tokens_are_plain_rope(target, dtype, layout, case):
    """t = h = w = p (and positions ``[seq]`` with an mrope_section) rotate exactly like the target's own plain RoPE at p."""
    x = case.vectors(dtype)
    text = case.positions[0]
    plain = rotate(target, dtype, case, x, text, layout, scaling=case.plain)
    slack = 2 * tolerance(case, x, text, layout, dtype)
    for positions in (np.stack([text] * 3), text):
        observed = rotate(target, dtype, case, x, positions, layout)
        assert_within(observed, plain, slack, what=f"M-RoPE at t = h = w (positions {positions.shape}) vs plain RoPE",
                      how="twice " + MODEL, context={"p": lambda i: text[i[1]]})


@conformance("rope_apply", "multi-axis relative", derivation=proofs.RELATIVE.name)
@LAYOUTS
@given(case=mrope_cases(max_len=8), keys=position_rows(max_len=8))
def test_mrope_scores_depend_on_the_position_difference(target, dtype, layout, case, keys):
    """⟨f(q, P), f(k, Q)⟩ = Σ_i q_iᵀR₂((Q − P)_a(i)·θ_i)k_i (rope.relative_score per pair) for every query × key pair."""
    q, k = case.vectors(dtype, 0), case.vectors(dtype, 1, seq=keys.shape[1])
    rd, axes = case.rotary_dim, case.axes()
    fq, fk = rotate(target, dtype, case, q, case.positions, layout), rotate(target, dtype, case, k, keys, layout)
    (a1, a2), (b1, b2) = split_pairs(fq, layout, rd), split_pairs(fk, layout, rd)
    observed = np.einsum("bah,bch->bac", a1, b1) + np.einsum("bah,bch->bac", a2, b2)
    model = frequency_model(rd, case.base, case.scaling)
    difference = keys[:, None, :] - case.positions[:, :, None]  # [3, Lq, Lk]
    phase = np.take_along_axis(reduce_phases(difference, model.hi, model.lo), axes[None, None, None, :], 0)[0]
    (q1, q2), (k1, k2) = split_pairs(q, layout, rd), split_pairs(k, layout, rd)
    af2 = model.attention_factor**2  # q and k both carry the attention factor
    expected = af2 * rope_proofs.relative_score()(q1[:, :, None], q2[:, :, None], k1[:, None], k2[:, None], phase[None]).sum(-1)
    tol = error_model.rope_score_error((np.abs(q1) + np.abs(q2))[:, :, None], (np.abs(k1) + np.abs(k2))[:, None],
                                       (pair_positions(case, case.positions) * model.hi)[None, :, None],
                                       (pair_positions(case, keys) * model.hi)[None, None], model.sensitivity, dtype,
                                       model.attention_factor)
    assert_within(observed, expected, tol, what="M-RoPE score vs af²·Σ qᵀR₂((Q−P)_a θ)k", how="error_model.rope_score_error",
                  context={"P": lambda i: tuple(case.positions[:, i[1]]), "Q": lambda i: tuple(keys[:, i[2]])})


@conformance("rope_apply", "multi-axis bands", derivation=proofs.DISJOINT_BANDS.name)
@LAYOUTS
@given(case=mrope_cases(), row=st.integers(0, 2), shift=st.integers(1, 1 << 16).map(lambda t: max(1, within_limit(t))))
def test_mrope_a_row_moves_only_its_pairs(target, dtype, layout, case, row, shift):
    """Moving one row of every position leaves the pairs of the other rows unchanged (reference-free)."""
    x = case.vectors(dtype)
    moved = case.positions.copy()
    moved[row] += shift
    before, after = rotate(target, dtype, case, x, case.positions, layout), rotate(target, dtype, case, x, moved, layout)
    others = np.flatnonzero(case.axes() != row)
    first, second = pair_indices(layout, case.rotary_dim)
    lanes = np.concatenate([first[others], second[others]])
    slack = (tolerance(case, x, case.positions, layout, dtype) + tolerance(case, x, moved, layout, dtype))[..., lanes]
    assert_within(after[..., lanes], before[..., lanes], slack, what=f"pairs of the other rows after moving row {'thw'[row]} by {shift}",
                  how="sum of both " + MODEL)


@conformance("rope_apply", "multi-axis map", derivation=proofs.INTERLEAVED_COUNTS.name)
@pytest.mark.parametrize("style", STYLES)
@given(data=st.data(), rotary_dim=st.sampled_from((128, 64, 16, 8, 6)))
def test_mrope_pairs_follow_the_derived_rows(target, dtype, style, data, rotary_dim):
    """Which row each pair follows, read off the target (one position per row, each pair compared with the rotation
    by each row): the map of ``mrope_axes``, whose interleaved counts are proofs.mrope.interleaved_counts
    (e.g. [8, 12, 12] on 32 pairs: 11/11/10) — catches the nominal counts taken for the real ones."""
    pairs = rotary_dim // 2
    if style == "hw_alternating" and not target.declares(ERNIE):
        not_provided(f"rope_apply: Ernie-4.5-VL's axis map ({ERNIE}, an extension this target does not declare)")
    case = MropeCase(rotary_dim, rotary_dim, 10000.0, data.draw(sections(pairs, style), label="section"), style,
                     np.array([[0], [0], [0]]), 0)
    expected_axes = case.axes()
    if style == "interleaved":
        assert_true(np.bincount(expected_axes, minlength=3) == proofs.interleaved_counts()(*case.section[1:], pairs),
                    what="spec's map vs the derived counts")
    x = np.zeros((3, 1, rotary_dim))
    first, _ = pair_indices("half", rotary_dim)
    x[..., first] = 1.0  # each pair (1, 0): its rotation shows as (cos, sin) of its angle
    theta = frequency_model(rotary_dim, case.base).hi
    kappa = frequency_model(rotary_dim, case.base).sensitivity
    found = np.full(pairs, -1)
    best_gap = np.zeros(pairs)
    for scale in (1, 100, 10000):  # rows t, h, w at distinct positions; the probe telling each pair's rows apart best
        probe = np.array([[scale], [2 * scale], [3 * scale]])
        observed = rotate(target, dtype, case, exactly_in(x[:1], dtype), probe, "half")
        angles = np.arctan2(*split_pairs(observed, "half", rotary_dim)[::-1])[0, 0]
        candidates = np.angle(np.exp(1j * (probe[:, 0][:, None] * theta[None, :] - angles[None, :])))  # [3, pairs]
        rows = probe[:, 0][:, None] * theta[None, :]
        gap = np.min([np.abs(np.angle(np.exp(1j * (rows[r] - rows[s])))) for r, s in ((0, 1), (0, 2), (1, 2))], 0)
        # an angle read from a unit pair errs by about its component error: a pair is judged where rows differ by 8×
        readable = gap > 8 * error_model.rope_error(1.0, 3 * scale * theta, kappa, dtype)
        better = readable & (gap > best_gap)
        found = np.where(better, np.argmin(np.abs(candidates), 0), found)
        best_gap = np.where(better, gap, best_gap)
    judged = found >= 0
    assert_true((found == expected_axes) | ~judged, what=f"row followed by each pair ({style} "
                f"{list(case.section)}: counts t/h/w {np.bincount(expected_axes, minlength=3).tolist()}; {judged.sum()} of "
                f"{pairs} pairs readable in {dtype})", context={"followed": found, "derived": expected_axes})
