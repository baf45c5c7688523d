"""Bad input: every op raises ``ValueError`` or ``TypeError`` whose message names the parameter.

Each case is (op, the parameter it gets wrong, a builder of the call's arguments for a target).
The same corpus runs against ``spec``'s oracle (tests/meta/test_spec.py) so the definition and the
implementations reject the same inputs.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from tests.checks import ConformanceFailure, call_rejecting, conformance

POSITIONS = np.arange(4, dtype=np.int64)


def _x(shape=(2, 4, 8)):
    return np.ones(shape)


# (op, parameter named in the message, args builder: asarray -> (args, kwargs))
BAD_INPUTS = [
    ("sinusoidal", "dim", lambda a: ((a(POSITIONS), 7), {})),
    ("sinusoidal", "dim", lambda a: ((a(POSITIONS), 0), {})),
    ("sinusoidal", "dim", lambda a: ((a(POSITIONS), 8.0), {})),
    ("sinusoidal", "base", lambda a: ((a(POSITIONS), 8), {"base": 0.0})),
    ("sinusoidal", "base", lambda a: ((a(POSITIONS), 8), {"base": -10000.0})),
    ("sinusoidal", "base", lambda a: ((a(POSITIONS), 8), {"base": float("nan")})),
    ("sinusoidal", "layout", lambda a: ((a(POSITIONS), 8), {"layout": "half-split"})),
    ("sinusoidal", "positions", lambda a: ((a(np.arange(4.0)), 8), {})),
    ("sinusoidal", "positions", lambda a: ((a(np.zeros((2, 2), np.int64)), 8), {})),
    ("rope_frequencies", "rotary_dim", lambda a: ((5,), {})),
    ("rope_frequencies", "rotary_dim", lambda a: ((-4,), {})),
    ("rope_frequencies", "base", lambda a: ((8,), {"base": 0})),
    ("rope_frequencies", "scaling", lambda a: ((8,), {"scaling": "linear"})),
    ("rope_apply", "head_dim", lambda a: ((a(_x((2, 4, 7))), a(POSITIONS)), {})),
    ("rope_apply", "rotary_dim", lambda a: ((a(_x()), a(POSITIONS)), {"rotary_dim": 10})),
    ("rope_apply", "rotary_dim", lambda a: ((a(_x()), a(POSITIONS)), {"rotary_dim": 3})),
    ("rope_apply", "rotary_dim", lambda a: ((a(_x()), a(POSITIONS)), {"rotary_dim": 0})),
    ("rope_apply", "base", lambda a: ((a(_x()), a(POSITIONS)), {"base": 0.0})),
    ("rope_apply", "base", lambda a: ((a(_x()), a(POSITIONS)), {"base": float("inf")})),
    ("rope_apply", "layout", lambda a: ((a(_x()), a(POSITIONS)), {"layout": "neox"})),
    ("rope_apply", "positions", lambda a: ((a(_x()), a(np.arange(5, dtype=np.int64))), {})),
    ("rope_apply", "positions", lambda a: ((a(_x()), a(np.arange(4.0))), {})),
    ("rope_apply", "x", lambda a: ((a(np.ones((2, 4, 8), np.int64)), a(POSITIONS)), {})),
    ("rope_apply", "x", lambda a: ((a(np.ones(8)), a(np.arange(1, dtype=np.int64))), {})),
    ("rope_apply", "scaling", lambda a: ((a(_x()), a(POSITIONS)), {"scaling": 2.0})),
    ("rope_apply", "rope_type", lambda a: ((a(_x()), a(POSITIONS)), {"scaling": {"rope_type": "ntk-by-parts"}})),
    ("rope_apply", "seq_len", lambda a: ((a(_x()), a(POSITIONS)), {"seq_len": 0})),
    ("rope_frequencies", "rope_type", lambda a: ((8,), {"scaling": {"factor": 2.0}})),
    ("rope_frequencies", "factor", lambda a: ((8,), {"scaling": {"rope_type": "linear", "factor": 0.0}})),
    ("rope_frequencies", "factor", lambda a: ((8,), {"scaling": {"rope_type": "linear", "factor": float("nan")}})),
    ("rope_frequencies", "factor", lambda a: ((8,), {"scaling": {"rope_type": "ntk"}})),
    ("rope_frequencies", "original_max_position_embeddings",
     lambda a: ((8,), {"scaling": {"rope_type": "dynamic", "factor": 2.0, "original_max_position_embeddings": 0}})),
    ("rope_frequencies", "beta_fast", lambda a: ((8,), {"scaling": {
        "rope_type": "yarn", "factor": 2.0, "original_max_position_embeddings": 64, "beta_fast": 1.0, "beta_slow": 2.0}})),
    ("rope_frequencies", "low_freq_factor", lambda a: ((8,), {"scaling": {
        "rope_type": "llama3", "factor": 8.0, "original_max_position_embeddings": 64, "low_freq_factor": 4.0, "high_freq_factor": 1.0}})),
    ("rope_frequencies", "short_factor", lambda a: ((8,), {"scaling": {
        "rope_type": "longrope", "factor": 2.0, "original_max_position_embeddings": 64, "short_factor": [1.0] * 3, "long_factor": [1.0] * 4}})),
    ("rope_frequencies", "long_factor", lambda a: ((8,), {"scaling": {
        "rope_type": "longrope", "factor": 2.0, "original_max_position_embeddings": 64, "short_factor": [1.0] * 4, "long_factor": [1.0, 1.0, 0.0, 1.0]}})),
    ("rope_frequencies", "mscale", lambda a: ((8,), {"scaling": {"rope_type": "yarn", "factor": 2.0, "original_max_position_embeddings": 64, "mscale": -1.0}})),
    ("rope_frequencies", "attention_factor", lambda a: ((8,), {"scaling": {"rope_type": "yarn", "factor": 2.0, "original_max_position_embeddings": 64, "attention_factor": 0.0}})),
    ("rope_frequencies", "truncate", lambda a: ((8,), {"scaling": {"rope_type": "yarn", "factor": 2.0, "original_max_position_embeddings": 64, "truncate": "yes"}})),
    ("rope_frequencies", "alpha", lambda a: ((8,), {"scaling": {"rope_type": "seed_power", "alpha": -1.0}})),
    ("rope_frequencies", "rotary_dim", lambda a: ((2,), {"scaling": {"rope_type": "ntk", "factor": 2.0}})),
    ("rope_frequencies", "unexpected", lambda a: ((8,), {"scaling": {"rope_type": "linear", "factor": 2.0, "unexpected": 1}})),
    ("alibi_slopes", "num_heads", lambda a: ((0,), {})),
    ("alibi_slopes", "num_heads", lambda a: ((-3,), {})),
    ("alibi_slopes", "num_heads", lambda a: ((2.5,), {})),
    ("alibi_slopes", "num_heads", lambda a: ((True,), {})),
    ("alibi_bias", "num_heads", lambda a: ((0, 4, 4), {})),
    ("alibi_bias", "q_len", lambda a: ((4, -1, 4), {})),
    ("alibi_bias", "k_len", lambda a: ((4, 2, -4), {})),
    ("alibi_bias", "q_len", lambda a: ((4, 5, 4), {"causal": True})),
    ("alibi_bias", "causal", lambda a: ((4, 2, 4), {"causal": "yes"})),
    ("t5_bucket", "num_buckets", lambda a: ((a(POSITIONS),), {"num_buckets": 1, "bidirectional": False})),
    ("t5_bucket", "num_buckets", lambda a: ((a(POSITIONS),), {"num_buckets": 3, "bidirectional": True})),
    ("t5_bucket", "max_distance", lambda a: ((a(POSITIONS),), {"num_buckets": 32, "max_distance": 8})),
    ("t5_bucket", "max_distance", lambda a: ((a(POSITIONS),), {"num_buckets": 32, "max_distance": 4})),
    ("t5_bucket", "relative_position", lambda a: ((a(np.array([0.5, -1.5])),), {})),
    ("t5_bucket", "num_buckets", lambda a: ((a(POSITIONS),), {"num_buckets": 32.0})),
    ("learned_absolute", "positions", lambda a: ((a(np.ones((4, 3))), a(np.array([0, 4], np.int64))), {})),
    ("learned_absolute", "positions", lambda a: ((a(np.ones((4, 3))), a(np.array([-1], np.int64))), {})),
    ("learned_absolute", "positions", lambda a: ((a(np.ones((4, 3))), a(np.array([0.0]))), {})),
    ("learned_absolute", "table", lambda a: ((a(np.ones(4)), a(np.array([0], np.int64))), {})),
    # Each op checks its own arguments, so each gets the classes an implementation tends to forget: base = 1
    # (the boundary: every frequency 1), a float, bool or str where an integer or a number is due, a plain
    # list where an array is due, an array of the wrong rank or dtype. Appended after the cases above so
    # that a zoo member's first rejected case stays the same.
    ("sinusoidal", "dim", lambda a: ((a(POSITIONS), True), {})),
    ("sinusoidal", "base", lambda a: ((a(POSITIONS), 8), {"base": 1.0})),
    ("sinusoidal", "base", lambda a: ((a(POSITIONS), 8), {"base": "10000"})),
    ("sinusoidal", "positions", lambda a: (([0, 1, 2, 3], 8), {})),
    ("sinusoidal", "positions", lambda a: ((a(np.array([True, False])), 8), {})),
    ("rope_frequencies", "rotary_dim", lambda a: ((8.0,), {})),
    ("rope_frequencies", "base", lambda a: ((8,), {"base": 1.0})),
    ("rope_frequencies", "seq_len", lambda a: ((8,), {"seq_len": 16.0})),
    ("rope_apply", "rotary_dim", lambda a: ((a(_x()), a(POSITIONS)), {"rotary_dim": 8.0})),
    ("rope_apply", "base", lambda a: ((a(_x()), a(POSITIONS)), {"base": 1.0})),
    ("rope_apply", "positions", lambda a: ((a(_x()), a(POSITIONS[None, :])), {})),
    ("rope_apply", "x", lambda a: ((np.ones((2, 4, 8)).tolist(), a(POSITIONS)), {})),
    ("alibi_bias", "k_len", lambda a: ((4, 2, 4.0), {})),
    ("t5_bucket", "bidirectional", lambda a: ((a(POSITIONS),), {"bidirectional": "yes"})),
    ("t5_bucket", "max_distance", lambda a: ((a(POSITIONS),), {"max_distance": 128.0})),
    ("t5_bucket", "relative_position", lambda a: (([0, 1, -1],), {})),
    ("learned_absolute", "table", lambda a: ((a(np.ones((4, 3), np.int64)), a(np.array([0], np.int64))), {})),
    ("learned_absolute", "table", lambda a: ((a(np.ones((4, 3, 2))), a(np.array([0], np.int64))), {})),
    ("learned_absolute", "positions", lambda a: ((a(np.ones((4, 3))), a(np.zeros((1, 2), np.int64))), {})),
    ("rope_frequencies", "partial_rotary_factor", lambda a: ((8,), {"scaling": {"rope_type": "proportional", "partial_rotary_factor": 1.5}})),
    ("rope_frequencies", "factor", lambda a: ((8,), {"scaling": {"rope_type": "ntk_alpha", "alpha": 1000.0, "factor": 2.0}})),
    ("rope_frequencies", "alpha", lambda a: ((8,), {"scaling": {"rope_type": "ntk_alpha", "alpha": 0.0}})),
    ("xpos_apply", "role", lambda a: ((a(_x()), a(POSITIONS)), {"role": "q"})),
    ("xpos_apply", "role", lambda a: ((a(_x()), a(POSITIONS)), {"role": None})),
    ("xpos_apply", "scale_base", lambda a: ((a(_x()), a(POSITIONS)), {"role": "key", "scale_base": 0.0})),
    ("xpos_apply", "scale_base", lambda a: ((a(_x()), a(POSITIONS)), {"role": "key", "scale_base": "512"})),
    ("xpos_apply", "layout", lambda a: ((a(_x()), a(POSITIONS)), {"role": "key", "layout": "neox"})),
    ("xpos_apply", "head_dim", lambda a: ((a(_x((2, 4, 7))), a(POSITIONS)), {"role": "query"})),
    ("xpos_apply", "positions", lambda a: ((a(_x()), a(np.arange(4.0))), {"role": "query"})),
    ("attention_scale", "head_dim", lambda a: ((a(POSITIONS), 0), {})),
    ("attention_scale", "positions", lambda a: ((a(np.arange(4.0)), 8), {})),
    ("attention_scale", "softmax_mscale", lambda a: ((a(POSITIONS), 8), {"softmax_mscale": "yes"})),
    ("attention_scale", "floor_scale", lambda a: ((a(POSITIONS), 8), {"temperature": {"attn_scale": 0.1, "floor_scale": 0}})),
    ("attention_scale", "attn_scale", lambda a: ((a(POSITIONS), 8), {"temperature": {"attn_scale": -0.1, "floor_scale": 8192}})),
    ("attention_scale", "floor_scale", lambda a: ((a(POSITIONS), 8), {"temperature": {"attn_scale": 0.1}})),
    ("rope_apply", "mrope_section", lambda a: ((a(_x()), a(POSITIONS)), {"scaling": {"rope_type": "default", "mrope_section": [1, 1, 1]}})),
    ("rope_apply", "mrope_interleaved", lambda a: ((a(_x()), a(POSITIONS)), {"scaling": {
        "rope_type": "default", "mrope_section": [2, 1, 1], "mrope_interleaved": "yes"}})),
    ("rope_apply", "positions", lambda a: ((a(_x()), a(np.zeros((3, 4), np.int64))), {})),
    ("attention_scale", "llama_4_scaling_beta", lambda a: ((a(POSITIONS), 8), {"scaling": {
        "rope_type": "yarn", "factor": 16.0, "original_max_position_embeddings": 16384, "llama_4_scaling_beta": -0.1}})),
    ("rope_apply", "mrope_hw_alternating", lambda a: ((a(_x()), a(POSITIONS)), {"scaling": {
        "rope_type": "default", "mrope_section": [2, 1, 1], "mrope_hw_alternating": True}})),
    ("rope_apply", "mrope_hw_alternating", lambda a: ((a(_x()), a(POSITIONS)), {"scaling": {
        "rope_type": "default", "mrope_section": [1, 1, 2], "mrope_hw_alternating": True, "mrope_interleaved": True}})),
    ("axial_rope_apply", "head_dim", lambda a: ((a(_x((2, 4, 6))), a(np.zeros((2, 4), np.int64))), {})),
    ("axial_rope_apply", "positions", lambda a: ((a(_x()), a(POSITIONS)), {})),
    ("axial_rope_apply", "positions", lambda a: ((a(_x()), a(np.zeros((3, 4), np.int64))), {})),
    ("axial_rope_apply", "layout", lambda a: ((a(_x()), a(np.zeros((2, 4), np.int64))), {"layout": "neox"})),
    ("mrope_positions", "segments[0]", lambda a: (([("audio", 3)],), {})),
    ("mrope_positions", "segments[1]", lambda a: (([("text", 2), ("image", (1, 3, 4))],), {})),
    ("mrope_positions", "segments[0]", lambda a: (([("video", (2, 2, 2))],), {})),
    ("mrope_positions", "seconds_per_grid", lambda a: (([("video", (2, 2, 2), 0.0)],), {})),
    ("mrope_positions", "spatial_merge_size", lambda a: (([("text", 2)],), {"spatial_merge_size": 0})),
    ("mrope_positions", "tokens_per_second", lambda a: (([("text", 2)],), {"tokens_per_second": -2})),
    ("mrope_positions", "segments", lambda a: (([],), {})),
    # attention: q [1, 2, 3, 4], k [1, 1, 5, 4], v [1, 1, 5, 2] (_qkv), one argument wrong per case
    ("attention", "q", lambda a: ((a(np.ones((2, 3, 4))), *_qkv(a)[1:]), {})),
    ("attention", "k", lambda a: ((_qkv(a)[0], a(np.ones((1, 1, 5, 4), np.float32)), _qkv(a)[2]), {})),
    ("attention", "head_dim", lambda a: ((_qkv(a)[0], a(np.ones((1, 1, 5, 3))), _qkv(a)[2]), {})),
    ("attention", "v", lambda a: ((*_qkv(a)[:2], a(np.ones((1, 1, 4, 2)))), {})),
    ("attention", "kv_heads", lambda a: ((a(np.ones((1, 3, 3, 4))), a(np.ones((1, 2, 5, 4))), a(np.ones((1, 2, 5, 2)))), {})),
    ("attention", "scale", lambda a: (_qkv(a), {"scale": 0.0})),
    ("attention", "scale", lambda a: (_qkv(a), {"scale": "0.5"})),
    ("attention", "causal", lambda a: (_qkv(a), {"causal": 1})),
    ("attention", "bias", lambda a: (_qkv(a), {"bias": "rope"})),
    ("attention", "bias", lambda a: (_qkv(a), {"bias": a(np.zeros((2, 5, 3)))})),
    ("attention", "slopes", lambda a: (_qkv(a), {"slopes": a(np.ones(2))})),
    ("attention", "slopes", lambda a: (_qkv(a), {"bias": "alibi", "slopes": a(np.ones(3))})),
    ("attention", "q_positions", lambda a: (_qkv(a), {"q_positions": a(np.arange(3.0))})),
    ("attention", "k_positions", lambda a: (_qkv(a), {"k_positions": a(np.arange(4, dtype=np.int64))})),
    ("attention", "t5_table", lambda a: (_qkv(a), {"bias": "t5"})),
    ("attention", "t5_table", lambda a: (_qkv(a), {"bias": "t5", "t5_table": a(np.zeros((32, 3)))})),
    ("attention", "max_distance", lambda a: (_qkv(a), {"bias": "t5", "t5_table": a(np.zeros((32, 2))), "t5": {"max_distance": 4}})),
    ("attention", "t5", lambda a: (_qkv(a), {"bias": "alibi", "t5": {"max_distance": 128}})),
]


def _qkv(a):
    """Valid attention arguments q [1, 2, 3, 4], k [1, 1, 5, 4], v [1, 1, 5, 2] as the target's arrays."""
    return a(np.ones((1, 2, 3, 4))), a(np.ones((1, 1, 5, 4))), a(np.ones((1, 1, 5, 2)))


def expect_rejection(op, parameter, run):
    """``run()`` must raise ValueError/TypeError whose message names ``parameter``."""
    try:
        run()
    except (ValueError, TypeError) as error:
        if parameter not in str(error):
            raise ConformanceFailure(f"{op}: the error does not name {parameter!r}: {type(error).__name__}: {error}") from error
        return
    raise ConformanceFailure(f"{op} accepted a bad {parameter} without raising ValueError/TypeError")


OPS = sorted({case[0] for case in BAD_INPUTS})


@pytest.mark.parametrize("op", [pytest.param(op, marks=conformance(op, "validation", "spec.validation")) for op in OPS])
def test_validation(target, op):
    """Every bad input of ``op`` in the corpus is rejected with the parameter named."""
    for name, parameter, build in BAD_INPUTS:
        if name == op:
            args, kwargs = build(target.asarray)
            expect_rejection(op, parameter, functools.partial(call_rejecting, target, op, *args, **kwargs))
