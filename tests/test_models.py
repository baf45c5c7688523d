"""A released model's positional encoding, checked on exactly the configuration it ships (``--model``, ``--rope-config``).

Collected only when ``--model NAME`` (a catalogue entry of ``spec/models.json``, a unique prefix of one, or
``all``) or ``--rope-config PATH`` (a Hugging Face ``config.json``) is given; then only these run. Each
model's configuration comes from ``spec.models``: RoPE at its head_dim (not hidden/heads where they
differ), rotary fraction, layout, base and scaling — per kind of layer where it has several — at its
context length (``seq_len``), in the dtype it ships in, at positions drawn up to its context including
the last one; ALiBi with its head count up to its context; T5 with its bucket geometry in both
directions; a learned table of its size. The precision horizon is measured in the model's own
configuration and set against its context (information: whether the whole advertised context is inside).
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec import alibi, error_model, models, rope, t5
from spec.scaling import frequency_model
from tests import checks, horizon
from tests.checks import as_array, assert_exact, assert_true, assert_within, call_raw, conformance, not_provided
from tests.strategies import RopeCase
from tests.test_alibi import bias, bias_tolerance, entry_context, normalised, slope_tolerance, slopes
from tests.test_rope import component_tolerance, relative_scores, rotate, score_tolerance, scores
from tests.test_t5 import buckets

#: Queries of the ALiBi bias at the end of a model's context (a KV cache of `context` keys).
ALIBI_QUERIES = 4


def model_dtype(target, model: models.Model, op: str) -> str:
    """The dtype the model ships in, if the target offers it and reaches the model's context with ``op``."""
    if model.dtype not in target.dtypes:
        not_provided(f"{model.name} runs in {model.dtype}, which the target does not declare (DTYPES)")
    within_reach(target, model, op)
    return model.dtype


def within_reach(target, model: models.Model, op: str) -> None:
    """A table-based target (``MAX_POSITION``) shorter than the model's context cannot serve the model."""
    limit = target.max_position(op)
    if limit is not None and limit < model.context - 1:
        not_provided(f"{op}: the target's positions end at {limit} (MAX_POSITION), before {model.name}'s last "
                     f"position {model.context - 1}")


@st.composite
def model_positions(draw, context: int, max_len: int = 12):
    """Positions in [0, context): drawn ones (small ones over-represented) and the last ones of the context."""
    drawn = draw(hnp.arrays(np.int64, st.integers(1, max_len),
                            elements=st.one_of(st.integers(0, min(64, context - 1)), st.integers(0, context - 1))))
    return np.unique(np.concatenate([drawn, models.last_positions(context)])).astype(np.int64)


def rope_case(model: models.Model, layer: models.RopeLayer, positions, seed: int) -> RopeCase:
    return RopeCase(head_dim=layer.head_dim, rotary_dim=layer.rotary_dim, base=layer.base, layout=layer.layout,
                    positions=positions, batch=1, seed=seed, scale_exponent=0, scaling=layer.scaling, seq_len=model.context)


def layer_context(model, layer):
    return {"model": lambda i: model.name, "layers": lambda i: layer.layers}


def measure_horizon(measure: horizon.Measure, model: models.Model, layer: models.RopeLayer, dtype: str) -> None:
    """Information for the report: how far the target's cos/sin and relative-only scores stay within the horizon's
    accuracy in the model's configuration and dtype, against the model's context length. (The error model allows
    float32 angles at any position: a horizon short of the context is a fact to know, not a verdict.)"""
    configuration = measure.c
    agreement = horizon.horizon(measure.agreement, measure.limit)
    relative = horizon.horizon(measure.relative, measure.limit)
    inside = min(agreement.position, relative.position) >= model.context - 1
    verdict = (f"the whole advertised context ({model.context}) is inside it" if inside else
               f"it ends before the advertised context ({model.context})")
    checks.RECORD["info"] = (f"{model.name} ({layer.layers}): precision horizon in {dtype} ({configuration.describe()}, "
                             f"error ≤ {horizon.THRESHOLD:g}): cos/sin {agreement.describe()}; q·k {relative.describe()} — {verdict}")
    checks.RECORD["horizon"] = {"model": model.name, "layers": layer.layers, "dtype": dtype, "threshold": horizon.THRESHOLD,
                                "agreement": agreement.position, "relative": relative.position, "limit": measure.limit,
                                "context": model.context, "covers_context": inside}


@pytest.mark.models("rope")
@conformance("rope_apply", "model", derivation="spec.rope.rope_apply")
def test_model_cos_sin_across_the_context(target, model, layer):
    """cos and sin of every pair at 8 positions of every octave up to the context's last position, within the error
    model; the report also gets the precision horizon of this configuration (:func:`measure_horizon`)."""
    dtype = model_dtype(target, model, "rope_apply")
    configuration = horizon.Configuration(layer.head_dim, layer.rotary_dim, layer.base, layer.scaling, model.context, layer.layout)
    measure = horizon.Measure(target, dtype, configuration)
    positions = horizon.scan_positions(8, model.context - 1)
    cos, sin, phases = measure.cos_sin(positions)
    exact = measure.model
    tolerance = error_model.rope_error(1.0, positions[:, None] * exact.hi, exact.sensitivity, dtype, exact.attention_factor)
    tolerance = tolerance / exact.attention_factor
    where = {"position": lambda i: positions[i[0]], "pair": lambda i: i[1], **layer_context(model, layer)}
    for name, observed, expected in (("cos", cos, np.cos(phases)), ("sin", sin, np.sin(phases))):
        assert_within(observed, expected, tolerance, what=f"{model.name}: {name}(m·θ'_i) across the context",
                      how="error_model.rope_error for a unit pair, over the attention factor", context=where)
    measure_horizon(measure, model, layer, dtype)


@pytest.mark.models("rope")
@conformance("rope_apply", "model", derivation="spec.models.from_config")
@given(data=st.data())
def test_model_rope_matches_oracle(target, model, layer, data):
    """af·R(m)x at the model's configuration and context, in its dtype, against the exact rotation."""
    dtype = model_dtype(target, model, "rope_apply")
    case = rope_case(model, layer, data.draw(model_positions(model.context), label="positions"), data.draw(st.integers(0, 2**32 - 1)))
    x = case.vectors(dtype)
    observed = rotate(target, dtype, case, x, case.positions)
    expected = rope.rope_apply(x, case.positions, base=case.base, layout=case.layout, rotary_dim=case.rotary_dim,
                               scaling=case.scaling, seq_len=case.seq_len)
    assert_within(observed, expected, component_tolerance(case, x, case.positions, dtype), what=f"{model.name}: R(m)x vs oracle",
                  how="error_model.rope_error", context={"position": lambda i: case.positions[i[1]], **layer_context(model, layer)})


@pytest.mark.models("rope")
@conformance("rope_apply", "model", derivation="rope.relative")
@given(data=st.data())
def test_model_rope_scores_are_relative(target, model, layer, data):
    """⟨f(q,m), f(k,n)⟩ = af²·qᵀR(n−m)k for queries and keys anywhere in the model's context."""
    dtype = model_dtype(target, model, "rope_apply")
    case = rope_case(model, layer, data.draw(model_positions(model.context, 8), label="queries"), data.draw(st.integers(0, 2**32 - 1)))
    keys = data.draw(model_positions(model.context, 8), label="keys")
    q, k = case.vectors(dtype, 0), case.vectors(dtype, 1, seq=len(keys))
    m, rd = case.positions, case.rotary_dim
    observed = scores(rotate(target, dtype, case, q, m), rotate(target, dtype, case, k, keys), case.layout, rd)
    assert_within(observed, relative_scores(case, q, k, m, keys), score_tolerance(case, q, k, m, keys, dtype),
                  what=f"{model.name}: score vs af²·qᵀR(n−m)k", how="error_model.rope_score_error",
                  context={"m": lambda i: m[i[1]], "n": lambda i: keys[i[2]], **layer_context(model, layer)})


@pytest.mark.models("rope")
@conformance("rope_frequencies", "model", derivation="spec.models.from_config")
def test_model_rope_frequencies(target, model, layer):
    """θ'_i and the attention factor of the model's map at its context length."""
    inv_freq, factor = call_raw(target, "rope_frequencies", layer.rotary_dim, base=layer.base, scaling=layer.scaling,
                                seq_len=model.context)
    observed = as_array(target, "rope_frequencies", inv_freq, shape=(layer.rotary_dim // 2,))
    exact = frequency_model(layer.rotary_dim, layer.base, layer.scaling, model.context)
    dtype = checks.dtype_of(target, inv_freq)
    assert_within(observed, exact.theta, error_model.frequency_error(exact.theta, exact.sensitivity, dtype),
                  what=f"{model.name}: θ' vs oracle", how="error_model.frequency_error", context={"pair": lambda i: i[0]})
    assert_within(float(factor), exact.attention_factor, error_model.attention_factor_error(exact.attention_factor),
                  what=f"{model.name}: attention factor vs oracle", how="error_model.attention_factor_error")


@pytest.mark.models("alibi")
@conformance("alibi_slopes", "model", derivation="spec.alibi.alibi_slopes")
def test_model_alibi_slopes(target, model):
    observed, dtype = slopes(target, model.num_heads)
    assert_within(observed, alibi.alibi_slopes(model.num_heads), slope_tolerance(model.num_heads, dtype),
                  what=f"{model.name}: slopes({model.num_heads}) vs oracle", how="error_model.alibi_slope_error",
                  context={"head": lambda i: i[0]})


@pytest.mark.models("alibi")
@conformance("alibi_bias", "model", derivation="spec.alibi.alibi_bias")
def test_model_alibi_bias_at_context(target, model):
    """The last queries of a full context (a KV cache of `context` keys), modulo a per-row constant."""
    within_reach(target, model, "alibi_bias")
    n, q_len, k_len = model.num_heads, ALIBI_QUERIES, model.context
    observed, dtype = bias(target, n, q_len, k_len, True)
    expected = alibi.alibi_bias(n, q_len, k_len, causal=True)
    assert_within(normalised(observed, q_len, k_len), normalised(expected, q_len, k_len), bias_tolerance(n, q_len, k_len, dtype),
                  what=f"{model.name}: row-normalised bias vs oracle", how="error_model.alibi_bias_error",
                  context=entry_context(q_len, k_len))


@pytest.mark.models("t5")
@conformance("t5_bucket", "model", derivation="spec.t5.t5_bucket")
@pytest.mark.parametrize("bidirectional", [True, False], ids=["encoder", "decoder"])
def test_model_t5_buckets(target, model, bidirectional):
    """Every relative position of the model's context, both signs, in the encoder's and the decoder's direction."""
    within_reach(target, model, "t5_bucket")
    relative = np.arange(-model.context + 1, model.context, dtype=np.int64)
    config = {"bidirectional": bidirectional, **model.t5}
    observed = buckets(target, relative, config)
    exact, also = t5.t5_bucket(relative, **config)
    assert_true((observed == exact) | (observed == also), what=f"{model.name}: bucket vs exact oracle",
                context={"relative_position": relative, "observed": observed, "exact": exact})


@pytest.mark.models("learned_absolute")
@conformance("learned_absolute", "model", derivation="learned_absolute.lookup")
def test_model_learned_table(target, model):
    """Every row of a table of the model's size, the last one included, is copied exactly."""
    dtype = model_dtype(target, model, "learned_absolute")
    table = np.random.default_rng(0).standard_normal((model.rows, 8))
    positions = np.arange(model.rows, dtype=np.int64)
    native = target.asarray(table, dtype)
    observed = as_array(target, "learned_absolute", call_raw(target, "learned_absolute", native, target.asarray(positions)),
                        shape=(model.rows, 8), dtype=dtype)
    assert_exact(observed, target.to_numpy(native).astype(np.float64), what=f"{model.name}: rows of the table",
                 context={"position": lambda i: positions[i[0]]})


@pytest.mark.models("not provided")
@conformance("rope_apply", "model", derivation="spec.models.from_config")
def test_model_scheme_has_an_op(target, model):
    """A model whose positional scheme the protocol cannot express yet is reported, with the reason."""
    not_provided(f"{model.name}: {model.reason}")
