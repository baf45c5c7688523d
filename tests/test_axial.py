"""2-D axial RoPE properties (``axial_rope_apply``: the vision towers' rope_type "axial"), from ``proofs/axial.py``.

Positions ``[2, seq]`` (rows h, w) are drawn as the towers build them — an image's patch grid in un-merged
coordinates, ordered block by block over the m × m merge blocks (Qwen's ``get_vision_position_ids``), frames
repeating the grid — or at random up to 2^16. Heads are the shipped ones (80: Qwen2-VL/2.5-VL; 64, 72, 128) or
any multiple of 4. Tolerances: ``spec.error_model.rope_error``/``rope_score_error`` at each pair's own row position,
with the ladder over half the head (``spec.axial.ladder``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from proofs import axial as proofs
from proofs import rope as rope_proofs
from spec import axial, error_model
from spec.layouts import split_pairs
from spec.phases import reduce_phases
from tests.checks import assert_within, call, conformance, not_provided
from tests.strategies import SEEDS, bases, exactly_in, within_limit
from tests.test_rope import on_both_lanes

LAYOUTS = pytest.mark.parametrize("layout", ["half", "interleaved"])
MODEL = "error_model.rope_error at each pair's own row position |P_a(j)|·ω_j (ladder over head_dim/2)"


@cache
@st.composite
def patch_positions(draw, max_len: int = 16):
    """[2, seq]: a merged image grid as the vision towers order it, or random rows."""
    if draw(st.booleans()):
        pairs = draw(st.lists(st.tuples(COORDINATES, COORDINATES), min_size=1, max_size=max_len))
        return np.array(pairs, dtype=np.int64).T
    merge = draw(st.sampled_from((1, 2)))
    height, width = merge * draw(st.integers(1, 4)), merge * draw(st.integers(1, 4))
    rows = np.broadcast_to(np.arange(height)[:, None], (height, width))
    columns = np.broadcast_to(np.arange(width)[None, :], (height, width))
    blocks = [grid.reshape(height // merge, merge, width // merge, merge).transpose(0, 2, 1, 3).reshape(-1)
              for grid in (rows, columns)]
    frames = draw(st.integers(1, 2))
    return np.tile(np.stack(blocks), frames)[:, :max_len].astype(np.int64)


@dataclass(frozen=True)
class AxialCase:
    head_dim: int
    base: float
    positions: np.ndarray
    seed: int

    def vectors(self, dtype: str, stream: int = 0, seq: int | None = None) -> np.ndarray:
        rng = np.random.default_rng([self.seed, stream])
        return exactly_in(rng.standard_normal((2, self.positions.shape[1] if seq is None else seq, self.head_dim)), dtype)

    def pair_positions(self, positions) -> np.ndarray:
        """|P_a(j)| per position and pair, ``[seq, head_dim/2]``: h on the first block, w on the second."""
        quarter = self.head_dim // 4
        return np.abs(np.repeat(np.asarray(positions, np.float64), quarter, axis=0)).T

    def tolerance(self, x, positions, layout, dtype):
        model = axial.ladder(self.head_dim, self.base)
        x1, x2 = split_pairs(x, layout, self.head_dim)
        theta = np.tile(model.hi, 2)
        pair = error_model.rope_error(np.abs(x1) + np.abs(x2), self.pair_positions(positions) * theta,
                                      np.tile(model.sensitivity, 2), dtype)
        return on_both_lanes(pair, x, layout, self.head_dim)


#: The towers' head dims (80: Qwen2-VL's ViT) or any multiple of 4; their bases or any.
HEAD_DIMS = st.one_of(st.sampled_from((80, 64, 72, 128)), st.integers(1, 32).map(lambda q: 4 * q))
AXIAL_BASES = st.sampled_from((1e4, 1e4, 1e2)) | bases()
#: A random row's coordinate, folded under a cache-based target's MAX_POSITION.
COORDINATES = st.integers(0, 1 << 16).map(within_limit)


@st.composite
def axial_cases(draw, max_len: int = 16):
    return AxialCase(head_dim=draw(HEAD_DIMS), base=draw(AXIAL_BASES), positions=draw(patch_positions(max_len)),
                     seed=draw(SEEDS))


def rotate(target, dtype, case, x, positions, layout):
    return call(target, "axial_rope_apply", target.asarray(x, dtype), target.asarray(np.asarray(positions, np.int64)),
                shape=x.shape, dtype=dtype, base=case.base, layout=layout)


@pytest.fixture(autouse=True)
def layout_provided(request, target, dtype):
    """Before any example: a target without axial RoPE in this layout is "not provided" at once."""
    if not target.provides("axial_rope_apply"):
        return  # the conformance marker reports the missing op
    layout = request.node.callspec.params.get("layout", "half")
    try:
        target.op("axial_rope_apply")(target.asarray(np.zeros((1, 1, 8)), dtype), target.asarray(np.zeros((2, 1), np.int64)),
                                      layout=layout)
    except NotImplementedError as error:
        not_provided(f"axial_rope_apply in the {layout} layout: {error}")
    except Exception:  # noqa: BLE001 — a misbehaving target is for the property itself to report
        return


@conformance("axial_rope_apply", "axial oracle", derivation=proofs.LADDER.name)
@LAYOUTS
@given(case=axial_cases())
def test_axial_matches_oracle(target, dtype, layout, case):
    """Pair j < d/4 rotated by h·ω_j, pair d/4 + k by w·ω_k, one ladder per axis over half the head (``spec.axial``):
    catches rows swapped, one ladder over the whole head, a row ignored, 0- vs 1-based coordinates."""
    x = case.vectors(dtype)
    observed = rotate(target, dtype, case, x, case.positions, layout)
    expected = axial.axial_rope_apply(x, case.positions, base=case.base, layout=layout)
    assert_within(observed, expected, case.tolerance(x, case.positions, layout, dtype), what="axial R(h, w)x vs oracle",
                  how=MODEL, context={"h, w": lambda i: tuple(case.positions[:, i[1]])})


@conformance("axial_rope_apply", "axial relative", derivation=proofs.RELATIVE.name)
@LAYOUTS
@given(case=axial_cases(max_len=12), keys=patch_positions(max_len=12))
def test_axial_scores_depend_on_the_offset(target, dtype, layout, case, keys):
    """⟨f(q, P), f(k, Q)⟩ = Σ_j q_jᵀR₂((Q − P)_a(j)·ω_j)k_j for every query × key patch (reference-free in the rotation)."""
    q, k = case.vectors(dtype, 0), case.vectors(dtype, 1, seq=keys.shape[1])
    d = case.head_dim
    fq, fk = rotate(target, dtype, case, q, case.positions, layout), rotate(target, dtype, case, k, keys, layout)
    (a1, a2), (b1, b2) = split_pairs(fq, layout, d), split_pairs(fk, layout, d)
    observed = np.einsum("bah,bch->bac", a1, b1) + np.einsum("bah,bch->bac", a2, b2)
    model = axial.ladder(d, case.base)
    dh, dw = reduce_phases(keys[:, None, :] - case.positions[:, :, None], model.hi, model.lo)  # [Lq, Lk, d/4] each
    phase = np.concatenate([dh, dw], axis=-1)
    (q1, q2), (k1, k2) = split_pairs(q, layout, d), split_pairs(k, layout, d)
    expected = rope_proofs.relative_score()(q1[:, :, None], q2[:, :, None], k1[:, None], k2[:, None], phase[None]).sum(-1)
    theta = np.tile(model.hi, 2)
    tol = error_model.rope_score_error((np.abs(q1) + np.abs(q2))[:, :, None], (np.abs(k1) + np.abs(k2))[:, None],
                                       (case.pair_positions(case.positions) * theta)[None, :, None],
                                       (case.pair_positions(keys) * theta)[None, None], np.tile(model.sensitivity, 2), dtype)
    assert_within(observed, expected, tol, what="axial score vs Σ qᵀR₂((Q−P)_a ω)k", how="error_model.rope_score_error",
                  context={"P": lambda i: tuple(case.positions[:, i[1]]), "Q": lambda i: tuple(keys[:, i[2]])})


@conformance("axial_rope_apply", "axial swap", derivation=proofs.SWAP_DERIVATION.name)
@LAYOUTS
@given(case=axial_cases())
def test_axial_swapping_rows_swaps_the_blocks(target, dtype, layout, case):
    """f(x, (w, h)) = Π·f(Π·x, (h, w)) with Π the block swap (``proofs.axial.block_swap``): catches a map that mixes the
    axes within a block (alternating h and w, one row for both), which no swap of the blocks can undo."""
    x = case.vectors(dtype)
    swap = proofs.block_swap()(case.head_dim, layout)
    swapped = case.positions[::-1].copy()
    observed = rotate(target, dtype, case, x, swapped, layout)
    expected = rotate(target, dtype, case, x[..., swap], case.positions, layout)[..., swap]
    slack = case.tolerance(x, swapped, layout, dtype) + case.tolerance(x[..., swap], case.positions, layout, dtype)[..., swap]
    assert_within(observed, expected, slack, what="f(x, (w, h)) vs Π f(Π x, (h, w))", how="sum of both " + MODEL,
                  context={"h, w": lambda i: tuple(case.positions[:, i[1]])})
