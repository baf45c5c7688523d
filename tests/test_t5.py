"""T5 relative-bucket properties (``t5_bucket``), from ``proofs/t5.py`` and the exact oracle ``spec/t5.py``.

Buckets are integers, so most checks are exact. The one place floating point may move a bucket is
where the exact log coordinate lies within the error model's slack of an integer; there the oracle
also accepts the neighbouring bucket (``spec.error_model.t5_log_slack``).
"""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from proofs import t5 as proofs
from spec import t5
from tests.checks import assert_exact, assert_true, call, conformance

# (relative_position, bucket) from REFERENCE.md, 32 buckets, max_distance 128; checked against the exact oracle
# in tests/meta/test_spec.py — never taken from an implementation under test.
GOLDEN_BIDIRECTIONAL = {-1: 1, 1: 17, -8: 8, 8: 24, -16: 10, 16: 26, -64: 14, 64: 30, -91: 15, -200: 15, 91: 31, 500: 31, 0: 0}
GOLDEN_CAUSAL = {1: 0, 40: 0, -16: 16, -32: 21, -64: 26, -113: 31, -10**6: 31, 0: 0}


@st.composite
def configs(draw):
    bidirectional = draw(st.booleans())
    buckets = draw(st.integers(4 if bidirectional else 2, 64))
    half = buckets // 2 if bidirectional else buckets
    max_exact = half // 2
    max_distance = draw(st.integers(max_exact + 1, 2048))
    return {"bidirectional": bidirectional, "num_buckets": buckets, "max_distance": max_distance}


def geometry(config):
    """(buckets per side, max_exact E, log steps B) of a config."""
    half = config["num_buckets"] // 2 if config["bidirectional"] else config["num_buckets"]
    return half, half // 2, half - half // 2


def buckets(target, relative, config):
    rel = np.asarray(relative, np.int64)
    return call(target, "t5_bucket", target.asarray(rel), shape=rel.shape, dtype="integer", **config)


relative_positions = hnp.arrays(np.int64, st.integers(1, 64), elements=st.integers(-5000, 5000))


@conformance("t5_bucket", "oracle", derivation="spec.t5.t5_bucket")
@given(config=configs(), relative=relative_positions)
def test_t5_matches_exact_oracle(target, config, relative):
    observed = buckets(target, relative, config)
    exact, also = t5.t5_bucket(relative, **config)
    assert_true((observed == exact) | (observed == also), what="bucket vs exact oracle (or its float-rounding neighbour)",
                context={"relative_position": relative, "observed": observed, "exact": exact})


@conformance("t5_bucket", "golden", derivation="REFERENCE.md golden table")
def test_t5_golden_table(target):
    for bidirectional, golden in ((True, GOLDEN_BIDIRECTIONAL), (False, GOLDEN_CAUSAL)):
        relative = np.array(list(golden))
        observed = buckets(target, relative, {"bidirectional": bidirectional, "num_buckets": 32, "max_distance": 128})
        assert_exact(observed, np.array(list(golden.values())), what=f"golden buckets (bidirectional={bidirectional})",
                     context={"relative_position": relative})


@conformance("t5_bucket", "monotone", derivation=proofs.MONOTONE.name)
@given(config=configs())
def test_t5_monotone_in_distance(target, config):
    """Non-decreasing in |key − query| on each side, over every distance up to past max_distance."""
    reach = 2 * config["max_distance"] + 8
    before = buckets(target, -np.arange(reach), config)  # keys at or before the query, growing distance
    assert_true(np.diff(before) >= 0, what="bucket non-decreasing as the key moves back", context={"distance": np.arange(1, reach)})
    if config["bidirectional"]:
        after = buckets(target, np.arange(1, reach), config)
        assert_true(np.diff(after) >= 0, what="bucket non-decreasing as the key moves ahead", context={"distance": np.arange(2, reach)})


@conformance("t5_bucket", "exact region", derivation=proofs.CONTINUITY.name)
@given(config=configs())
def test_t5_exact_below_max_exact(target, config):
    """|distance| < max_exact is its own bucket (keys after the query offset by buckets/2); distance E starts the log region at E."""
    half, max_exact, _ = geometry(config)
    distance = np.arange(max_exact + 1)
    assert_exact(buckets(target, -distance, config), distance, what="bucket of a key |d| ≤ max_exact before the query")
    if config["bidirectional"]:
        ahead = distance[1:]
        assert_exact(buckets(target, ahead, config), half + ahead, what="bucket of a key |d| ≤ max_exact after the query")


@conformance("t5_bucket", "saturation", derivation=proofs.THRESHOLD_DERIVATION.name)
@given(config=configs())
def test_t5_saturation_starts_at_threshold(target, config):
    """The cap buckets−1 is reached at E·(D/E)^((B−1)/B) (proofs.t5.threshold), before max_distance, and kept."""
    half, max_exact, steps = geometry(config)
    threshold = proofs.threshold()(steps - 1, max_exact, config["max_distance"], steps)
    below = np.arange(max_exact, math.floor(threshold))  # strictly below the threshold by ≥ 1: not capped yet
    beyond = np.arange(math.ceil(threshold) + 1, 4 * config["max_distance"])
    cap = half - 1
    if steps > 1:
        assert_true(buckets(target, -below, config) < cap, what="bucket below the saturation threshold", context={"distance": below})
    assert_exact(buckets(target, -beyond, config), cap, what="bucket past the saturation threshold", context={"distance": beyond})


@conformance("t5_bucket", "sign", derivation="spec.t5.t5_bucket")
@given(config=configs(), relative=relative_positions)
def test_t5_sign_ranges_and_bounds(target, config, relative):
    """Bidirectional: keys after the query use [buckets/2, buckets), others [0, buckets/2); causal: keys after → 0."""
    half, _, _ = geometry(config)
    observed = buckets(target, relative, config)
    context = {"relative_position": relative, "observed": observed}
    assert_true((observed >= 0) & (observed < config["num_buckets"]), what="0 ≤ bucket < num_buckets", context=context)
    if config["bidirectional"]:
        assert_true((observed >= half) == (relative > 0), what="bucket half matches the key's side", context=context)
    else:
        assert_true(np.where(relative > 0, observed == 0, True), what="causal: keys after the query share bucket 0", context=context)
