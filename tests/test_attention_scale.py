"""Attention-scale properties (``attention_scale``), from ``proofs/attention_scale.py`` and ``spec.attention_scale``.

Each rule of the protocol is a pytest parameter (a target without one is "not provided" for it alone):
``plain`` (1/√D), ``deepseek`` (softmax mscale), ``ministral`` (``llama_4_scaling_beta``), ``llama4``
(``temperature``) and ``mistral4`` (softmax mscale and ``llama_4_scaling_beta``). Positions are what a
model feeds: a contiguous chunk (prefill or decode after ``start`` cached tokens) starting next to a step of
the temperature (``proofs.attention_scale.step_position``), up to 2²⁴ (Llama 4 Scout's 10M context fits);
packed sequences are a property of their own. Tolerances: ``spec.error_model.attention_scale_error``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from proofs import attention_scale as proofs
from spec import attention_scale, error_model
from spec.rope_parameters import normalise
from tests.checks import as_array, assert_within, call_raw, conformance, dtype_of
from tests.strategies import log_uniform

#: Positions stay below 2²⁴: a float32 position is exact there, and so is the floor of its quotient.
LARGEST = 2**24 - 1
RULES = ("plain", "deepseek", "ministral", "llama4", "mistral4")
MODEL = "error_model.attention_scale_error: 2·|scale|·(8 + 5·temperatures)·u"
head_dims = st.sampled_from((64, 128, 192, 256)) | st.integers(1, 512)


@st.composite
def configurations(draw, rule: str):
    """(kwargs of attention_scale, the period of its position steps or None, the shift c of the steps)."""
    factor = draw(st.sampled_from((40.0, 16.0, 8.0)) | log_uniform(1.0, 64.0))
    original = draw(st.sampled_from((4096, 8192, 16384)) | st.integers(1, 1 << 20))
    yarn = {"rope_type": "yarn", "factor": factor, "original_max_position_embeddings": original}
    if rule in ("deepseek", "mistral4"):
        yarn.update(mscale=draw(st.sampled_from((1.0, 0.707, 0.0))), mscale_all_dim=draw(st.sampled_from((1.0, 0.707, 0.0))))
    if rule in ("ministral", "mistral4"):
        yarn["llama_4_scaling_beta"] = draw(st.sampled_from((0.1, 0.0)) | log_uniform(0.01, 1.0))
    if rule == "plain":
        return {}, None, 0
    if rule == "llama4":
        floor_scale = draw(st.sampled_from((8192,)) | st.integers(1, 1 << 20))
        return {"temperature": {"attn_scale": draw(st.sampled_from((0.1,)) | log_uniform(0.01, 1.0)),
                                "floor_scale": floor_scale}}, floor_scale, 1
    kwargs = {"scaling": yarn, "softmax_mscale": rule != "ministral"}
    return kwargs, (original if "llama_4_scaling_beta" in yarn else None), 0


@st.composite
def chunks(draw, period, shift, max_len: int = 16):
    """Contiguous positions start … start + n − 1, starting at a step ± a few positions or anywhere."""
    n = draw(st.integers(1, max_len))
    if period is not None and draw(st.booleans()):
        step = int(proofs.step_position()(draw(st.integers(1, max(1, LARGEST // period - 1))), period, shift))
        start = step + draw(st.integers(-n, 1))
    else:
        start = draw(st.integers(0, 64) | st.integers(0, LARGEST))
    start = min(max(start, 0), LARGEST - n + 1)
    return np.arange(start, start + n, dtype=np.int64)


def observe(target, positions, head_dim, kwargs):
    native = call_raw(target, "attention_scale", target.asarray(positions), head_dim, **kwargs)
    return as_array(target, "attention_scale", native, shape=positions.shape), dtype_of(target, native)


def temperatures(kwargs) -> int:
    """How many position-dependent factors the scale has (the error model's count)."""
    config = normalise(kwargs.get("scaling"), 2, None)
    factors = attention_scale.factors(config, kwargs.get("softmax_mscale", False), (0, 1) if kwargs.get("temperature") else None)
    return sum(name != "softmax_mscale" for name, _ in factors)


def check(target, positions, head_dim, kwargs, what):
    observed, dtype = observe(target, positions, head_dim, kwargs)
    expected = attention_scale.attention_scale(positions, head_dim, **kwargs)
    assert_within(observed, expected, error_model.attention_scale_error(expected, temperatures(kwargs), dtype), what=what,
                  how=MODEL, context={"position": positions})


@conformance("attention_scale", "oracle", derivation="spec.attention_scale.attention_scale")
@pytest.mark.parametrize("rule", RULES)
@given(data=st.data(), head_dim=head_dims)
def test_attention_scale_matches_oracle(target, rule, data, head_dim):
    """The scale of every query of a chunk against the exact one, next to a step of the temperature: catches a
    step one position late (⌊m/F⌋ for Llama 4's ⌊(m+1)/F⌋), ln without its + 1, the softmax mscale missing or
    applied without softmax_mscale, and a chunk index taken for a position."""
    kwargs, period, shift = data.draw(configurations(rule), label="configuration")
    positions = data.draw(chunks(period, shift), label="positions")
    check(target, positions, head_dim, kwargs, f"{rule} attention scale vs oracle")


@conformance("attention_scale", "steps", derivation=proofs.TEMPERATURE_STEPS.name)
@pytest.mark.parametrize("rule", ("ministral", "llama4"))
@given(data=st.data(), head_dim=head_dims, step=st.integers(1, 64))
def test_temperature_steps_at_derived_positions(target, rule, data, head_dim, step):
    """Around the k-th step m = kF − c (c = 1 for Llama 4, 0 for Ministral 3) the temperature is 1 + a·ln k just
    before and 1 + a·ln(1 + k) from it on (proofs.attention_scale.temperature), times the rest of the scale."""
    kwargs, period, shift = data.draw(configurations(rule), label="configuration")
    at = int(proofs.step_position()(step, period, shift))
    assume(at + 2 <= LARGEST)
    positions = np.arange(max(at - 2, 0), at + 3, dtype=np.int64)  # positions are ≥ 0 (F = 1 puts a step at 0)
    observed, dtype = observe(target, positions, head_dim, kwargs)
    if rule == "llama4":
        slope = kwargs["temperature"]["attn_scale"]
        rest = 1 / np.sqrt(head_dim)
    else:
        slope = kwargs["scaling"]["llama_4_scaling_beta"]
        rest = attention_scale.attention_scale(np.zeros(1, np.int64), head_dim, **kwargs)[0]
    expected = rest * proofs.temperature()(positions, slope, period, shift)
    assert_within(observed, expected, error_model.attention_scale_error(expected, 1, dtype),
                  what=f"{rule} scale at m = kF − c − 2 … kF − c + 2 (k = {step}, F = {period})", how=MODEL,
                  context={"position": positions})


@conformance("attention_scale", "packed positions", derivation="spec.attention_scale.attention_scale")
@pytest.mark.parametrize("rule", ("ministral", "llama4"))
@given(data=st.data(), head_dim=head_dims, lengths=st.lists(st.integers(1, 6), min_size=2, max_size=4))
def test_attention_scale_follows_positions_when_packed(target, rule, data, head_dim, lengths):
    """Sequences packed into one row (each restarting its positions, after a long one): the temperature follows each
    query's position, not its index in the row or a cache length."""
    kwargs, period, shift = data.draw(configurations(rule), label="configuration")
    first = data.draw(chunks(period, shift), label="first sequence")
    positions = np.concatenate([first, *(np.arange(n, dtype=np.int64) for n in lengths)])
    check(target, positions, head_dim, kwargs, f"{rule} attention scale of packed sequences vs oracle")


@conformance("attention_scale", "yarn temperature", derivation=proofs.DEEPSEEK_SPLIT.name, rope_type="yarn")
@given(head_dim=head_dims, factor=log_uniform(1.0, 64.0), mscale=st.sampled_from((1.0, 0.707, 0.5)),
       mscale_all_dim=st.sampled_from((1.0, 0.707, 0.5)), original=st.sampled_from((4096, 8192)))
def test_deepseek_score_temperature(target, head_dim, factor, mscale, mscale_all_dim, original):
    """rope_frequencies' attention factor af (in q and k) times the softmax scale: af²·scale·√D = mscale(s, mscale)²
    (proofs.attention_scale.score_temperature) — YaRN's temperature applied once, split between cos/sin and softmax."""
    scaling = {"rope_type": "yarn", "factor": factor, "original_max_position_embeddings": original, "mscale": mscale,
               "mscale_all_dim": mscale_all_dim}
    _, attention_factor = call_raw(target, "rope_frequencies", 2, scaling=scaling)
    scale, dtype = observe(target, np.zeros(1, np.int64), head_dim, {"scaling": scaling, "softmax_mscale": True})
    observed = float(attention_factor) ** 2 * scale * np.sqrt(head_dim)
    expected = proofs.score_temperature()(factor, mscale) if factor > 1 else 1.0
    tolerance = (error_model.attention_scale_error(expected, 1, dtype) + 2 * error_model.attention_factor_error(expected)
                 + error_model.SAFETY * 2 * error_model.UNIT_ROUNDOFF["float64"] * expected)
    assert_within(observed, expected, tolerance, what="af²·softmax scale·√D vs mscale(s, mscale)²",
                  how="attention_scale_error + 2·attention_factor_error + the products' roundings")
