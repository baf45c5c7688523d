"""Tests of the spec itself: the oracle against independent high-precision values and published
constants, the error model's basic shape, and the oracle's own input validation."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from proofs import rope as rope_proofs
from proofs import scaling as scaling_proofs
from proofs import xpos as xpos_proofs
from spec import (
    alibi,
    attention,
    attention_scale,
    axial,
    error_model,
    models,
    phases,
    rope,
    rope_parameters,
    sinusoidal,
    t5,
    xpos,
)
from spec.layouts import split_pairs
from spec.scaling import correction_dim, frequency_model
from tests import test_rope as T
from tests.strategies import positions, rope_cases
from tests.test_t5 import GOLDEN_BIDIRECTIONAL, GOLDEN_CAUSAL
from tests.test_validation import BAD_INPUTS, expect_rejection


@given(m=st.integers(0, 2**40), dim=st.integers(1, 64).map(lambda h: 2 * h), base=st.floats(10.0, 1e7), pair=st.integers(0, 63))
def test_reduced_phases_match_mpmath(m, dim, base, pair):
    """The double-double phase is within 2^−50 of (mθ mod 2π) computed at 200 bits."""
    pair %= dim // 2
    with mpmath.workprec(200):
        theta = mpmath.mpf(base) ** (-mpmath.mpf(2 * pair) / dim)
        exact = mpmath.fmod(m * theta, 2 * mpmath.pi)
        observed = phases.reduced_phases(np.array([m]), dim, base)[0, pair]
        difference = abs(mpmath.sin(exact) - mpmath.sin(observed)) + abs(mpmath.cos(exact) - mpmath.cos(observed))
    assert difference < 2.0**-50


def test_t5_golden_table_matches_exact_oracle():
    for bidirectional, golden in ((True, GOLDEN_BIDIRECTIONAL), (False, GOLDEN_CAUSAL)):
        exact, _ = t5.t5_bucket(np.array(list(golden)), bidirectional=bidirectional)
        assert exact.tolist() == list(golden.values())


def test_t5_bucket_16_never_occurs_and_saturation_precedes_max_distance():
    exact, _ = t5.t5_bucket(np.arange(-300, 301))
    assert 16 not in exact
    assert exact[300 - 91] == 15 and exact[300 - 90] == 14  # −91 saturates, −90 does not (REFERENCE.md)


def test_t5_ambiguity_only_at_exact_integer_log_coordinates():
    """A neighbour bucket is accepted only where x = B·ln(n/E)/ln(D/E) is an integer below the cap:
    E = 8, D = 128, B = 8 gives n = 8·2^(j/2), integral for j = 2, 4, 6 (j = 8 is capped anyway)."""
    relative = -np.arange(0, 200)
    exact, also = t5.t5_bucket(relative)
    assert sorted((-relative[exact != also]).tolist()) == [16, 32, 64]


def test_alibi_slope_exponents_from_reference():
    """REFERENCE.md: n = 12 → −log₂ = 1…8 then 0.5, 1.5, 2.5, 3.5; n = 6 → 2, 4, 6, 8, 1, 3."""
    np.testing.assert_allclose(-np.log2(alibi.alibi_slopes(12)), [1, 2, 3, 4, 5, 6, 7, 8, 0.5, 1.5, 2.5, 3.5], rtol=0, atol=1e-15)
    np.testing.assert_allclose(-np.log2(alibi.alibi_slopes(6)), [2, 4, 6, 8, 1, 3], rtol=0, atol=1e-15)
    ratio, power = alibi.slope_powers(12)
    assert np.allclose(2.0 ** (-ratio * power), alibi.alibi_slopes(12), rtol=1e-15)


def test_sinusoidal_and_rope_share_frequencies():
    """The sinusoidal table's pair i is (sin, cos) of RoPE's angle for the same dim and base."""
    p = np.array([0, 1, 7, 10**6])
    table = sinusoidal.sinusoidal(p, 16, base=500000.0, layout="concat")
    rotated = rope.rope_apply(np.tile(np.r_[np.ones(8), np.zeros(8)], (4, 1)), p, base=500000.0, layout="half")
    assert np.allclose(table[:, 8:], rotated[:, :8], atol=4e-16) and np.allclose(table[:, :8], rotated[:, 8:], atol=4e-16)


def test_error_model_scales():
    """Tolerances grow with |mθ| for every dtype but float64's angle term stays below float32's by 2^29."""
    args = (np.array([1.0, 1e6]), error_model.power_sensitivity(0.5, 1e4))
    f32, f64 = error_model.trig_error(*args, "float32"), error_model.trig_error(*args, "float64")
    assert f32[1] > 1e5 * f32[0] / 2 and np.allclose(f32 / f64, 2.0**29)
    assert error_model.angle_dtype("bfloat16") == "float32"
    with pytest.raises(ValueError, match="dtype"):
        error_model.unit_roundoff("float8")


ORACLES = {"sinusoidal": sinusoidal.sinusoidal, "rope_frequencies": rope.rope_frequencies, "rope_apply": rope.rope_apply,
           "alibi_slopes": alibi.alibi_slopes, "alibi_bias": alibi.alibi_bias, "t5_bucket": t5.t5_bucket,
           "xpos_apply": xpos.xpos_apply, "attention_scale": attention_scale.attention_scale,
           "attention": attention.attention}


@pytest.mark.parametrize("case", [c for c in BAD_INPUTS if c[0] in ORACLES], ids=lambda c: f"{c[0]}-{c[1]}")
def test_oracle_rejects_bad_input(case):
    op, parameter, build = case
    args, kwargs = build(np.asarray)
    expect_rejection(op, parameter, lambda: ORACLES[op](*args, **kwargs))


def test_error_model_constants_are_documented():
    assert error_model.SAFETY == 2.0 and math.isclose(error_model.ORACLE_ABS, 2 * 2.0**-53)


def test_scaler_golden_values_from_reference():
    """REFERENCE.md: YaRN ranges (16, 41) raw (16.128, 40.210) for d=128, b=1e4, L0=2048 and (8.0928, 17.398)
    for d=64, b=150000, L0=4096; Llama-3 (b=5e5, d=128, s=8, 1/4, L0=8192) keeps 29 pairs, blends 6, divides 29."""
    with mpmath.workprec(100):
        raw = [float(correction_dim(r, 128, mpmath.mpf(10000), 2048)) for r in (32, 1)]
        other = [float(correction_dim(r, 64, mpmath.mpf(150000), 4096)) for r in (32, 1)]
    assert np.allclose(raw, [16.128, 40.210], atol=5e-4) and (math.floor(raw[0]), math.ceil(raw[1])) == (16, 41)
    assert np.allclose(other, [8.0928, 17.398], atol=5e-4)
    model = frequency_model(128, 10000.0, {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 2048})
    ratio = frequency_model(128, 10000.0).theta / model.theta
    assert np.allclose(ratio[:17], 1) and np.allclose(ratio[41:], 4) and np.all((ratio[17:41] > 1) & (ratio[17:41] < 4))
    llama = {"rope_type": "llama3", "factor": 8.0, "original_max_position_embeddings": 8192, "low_freq_factor": 1.0,
             "high_freq_factor": 4.0}
    ratio = frequency_model(128, 500000.0).theta / frequency_model(128, 500000.0, llama).theta
    unchanged, divided = np.isclose(ratio, 1, rtol=1e-13), np.isclose(ratio, 8, rtol=1e-13)
    assert (unchanged.sum(), (~unchanged & ~divided).sum(), divided.sum()) == (29, 6, 29)


def test_quoted_position_interpolation_bound_fails_and_the_proven_one_holds():
    """The usually quoted d·max|h|·(s−s1)(s2−s)/(8 ln c) is exceeded at d=128, c=1e4, s=½ (REFERENCE.md);
    ½(s−s1)(s2−s)·max|h|·Σθ² (proofs.scaling) is not. Worst case: h_j = e^{−iθ_j/2} (|h_j| = 1)."""
    d, c, t = 128, 1e4, 0.5
    theta = c ** (-np.arange(0, d, 2) / d)
    error = np.sum(1 - np.cos(theta / 2))  # a(½) − (a(0) + a(1))/2 for that h
    quoted = d * (t * (1 - t)) / (8 * math.log(c))
    proven = scaling_proofs.pi_interpolation_bound(t, 1.0, theta)
    assert error > quoted and error <= proven
    assert round(error, 3) == 0.494 and round(quoted, 3) == 0.434


SHIPPED = json.loads((Path(__file__).parents[1] / "data" / "shipped_rope_configs.json").read_text())


@pytest.mark.parametrize("entry", SHIPPED, ids=[entry["model"] for entry in SHIPPED])
def test_shipped_configs_are_accepted(entry):
    """Every RoPE configuration these released models ship validates as shipped (legacy ``type``, ``su``, equal
    Llama-3 band factors, keys left to the top level of config.json), and its frequencies are finite."""
    config = entry["config"]
    scaling = rope_parameters.from_config(config)
    pairs = len((scaling or {}).get("short_factor", [0] * 64))
    model = frequency_model(2 * pairs, float(config["rope_theta"]), scaling, config.get("max_position_embeddings"))
    assert np.all(np.isfinite(model.theta) & (model.theta > 0)) and math.isfinite(model.attention_factor)


def test_llama3_without_blend_band():
    """low_freq_factor = high_freq_factor (Llama-4-Scout): θ/s where λ > L0/low, θ elsewhere, nothing in between."""
    scaling = {"rope_type": "llama3", "factor": 16.0, "low_freq_factor": 1.0, "high_freq_factor": 1.0,
               "original_max_position_embeddings": 8192}
    model, plain = frequency_model(128, 500000.0, scaling), frequency_model(128, 500000.0)
    long_wave = 2 * np.pi / plain.theta > 8192
    assert np.allclose(plain.theta / model.theta, np.where(long_wave, 16.0, 1.0), rtol=1e-15) and long_wave.any() and not long_wave.all()


def test_phi3_longrope_completed_from_top_level_keys():
    """Phi-3-mini-128k ships ``type: su`` with only the factor lists: L0 = 4096 from the top level, s = 131072/4096."""
    phi3 = next(entry["config"] for entry in SHIPPED if "Phi-3-mini-128k" in entry["model"])
    scaling = rope_parameters.normalise(rope_parameters.from_config(phi3), 96, None)
    assert (scaling["rope_type"], scaling["original_max_position_embeddings"], scaling["factor"]) == ("longrope", 4096, 32.0)
    assert frequency_model(96, 10000.0, scaling).attention_factor == pytest.approx(math.sqrt(1 + math.log(32) / math.log(4096)), rel=1e-15)


@pytest.mark.parametrize("scaling, key", [
    ({"type": "linear", "rope_type": "yarn", "factor": 2.0}, "type"),
    ({"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 4.0, "high_freq_factor": 1.0, "original_max_position_embeddings": 64},
     "low_freq_factor"),
    ({"type": "mystery"}, "type"),
    ({"rope_type": ["linear"]}, "rope_type"),
])
def test_meaningless_configs_rejected(scaling, key):
    with pytest.raises(ValueError, match=re.escape(f"scaling['{key}']")):
        rope_parameters.normalise(scaling, 8, None)


def test_every_catalogue_entry_derives_or_says_why():
    """Each of the catalogue's released models gives the protocol's arguments, or a reason it cannot be checked yet."""
    found = {name: models.model(name) for name in models.catalogue()}
    assert len(found) >= 70
    for name, model in found.items():
        entry = models.catalogue()[name]
        assert entry["source"] and entry["evidence"], name
        if model.scheme == "not provided":
            assert model.reason, name
        elif model.scheme == "rope":
            assert model.context > 0 and model.rope, name
            for layer in model.rope:
                frequency_model(layer.rotary_dim, layer.base, layer.scaling, model.context)  # valid, as shipped


@pytest.mark.parametrize("name, layers", [
    ("llama-3.2-1b", [("all", 64, 64, 500000.0, "half", "llama3", 32.0)]),  # factor 32 after the July 2024 fix
    ("llama-4-scout", [("RoPE layers", 128, 128, 500000.0, "interleaved", "llama3", 16.0)]),  # low = high = 1
    ("phi-4-mini-instruct", [("all", 128, 96, 10000.0, "half", "longrope", 32.0)]),  # partial_rotary_factor 0.75
    ("deepseek-v3", [("all", 64, 64, 10000.0, "interleaved", "yarn", 40)]),  # MLA: RoPE on qk_rope_head_dim only
    ("glm-4-9b-chat", [("all", 128, 64, 5000000.0, "interleaved", None, None)]),  # 10000·rope_ratio, first half
    ("gpt-neox-20b", [("all", 96, 24, 10000.0, "half", None, None)]),  # rotary_pct 0.25
    ("mistral-nemo-base-2407", [("all", 128, 128, 1000000.0, "half", None, None)]),  # head_dim ≠ hidden/heads = 160
    ("gemma-3-4b-it", [("sliding_attention", 256, 256, 10000.0, "half", None, None),
                       ("full_attention", 256, 256, 1000000.0, "half", "linear", 8.0)]),
])
def test_catalogue_derivations_of_known_traps(name, layers):
    """The traps of the model reference (§9): head_dim ≠ hidden/heads, partial and slice rotary, GLM's base, per-layer
    bases, Llama-3.2's factor 32, Llama-4-Scout's empty blend band — derived as the models' code uses them."""
    derived = [(layer.layers, layer.head_dim, layer.rotary_dim, layer.base, layer.layout,
                (layer.scaling or {}).get("rope_type"), (layer.scaling or {}).get("factor")) for layer in models.model(name).rope]
    assert derived == layers


def test_rope_config_of_a_user_config_json():
    """--rope-config takes a config.json as Hugging Face writes it: model_type decides the layout, torch_dtype the dtype."""
    config = {"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32, "rope_theta": 500000.0,
              "max_position_embeddings": 131072, "torch_dtype": "bfloat16",
              "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                               "original_max_position_embeddings": 8192}}
    model = models.from_config(config)
    assert (model.scheme, model.dtype, model.context) == ("rope", "bfloat16", 131072)
    assert model.rope[0] == models.RopeLayer("all", 128, 128, 500000.0, "half", model.rope[0].scaling)
    with pytest.raises(ValueError, match="model_type"):
        models.from_config({k: v for k, v in config.items() if k != "model_type"})
    with pytest.raises(ValueError, match="--model 'llama'"):
        models.model("llama")  # a prefix of several entries


#: variants.md §4: D = 512, p = 0.25, θ = 10⁶, the one-hot e_k rotated to position 1000: {k: {lane: value}} of the
#: nonzero outputs, printed to 9 decimals — proportional (Gemma 4), and ordinary partial rotary over d_r = 128 lanes.
PROPORTIONAL_GOLDEN = {0: {0: 0.562379076, 256: 0.826879541}, 1: {1: 0.269949514, 257: -0.962874478}, 64: {64: 1.0},
                       256: {0: -0.826879541, 256: 0.562379076}}
PARTIAL_GOLDEN = {0: {0: 0.562379076, 64: 0.826879541}, 1: {1: -0.023669905, 65: 0.999719829},
                  64: {0: -0.826879541, 64: 0.562379076}, 256: {256: 1.0}}


@pytest.mark.parametrize("scaling, rotary_dim, golden", [
    ({"rope_type": "proportional", "partial_rotary_factor": 0.25}, None, PROPORTIONAL_GOLDEN),
    (None, 128, PARTIAL_GOLDEN),
], ids=["proportional", "partial rotary"])
def test_proportional_golden_discriminates_it_from_partial_rotary(scaling, rotary_dim, golden):
    """The same head, fraction and base, two different rotations: proportional rotates the whole head's 64 highest
    frequencies across pairs (j, j + 256); partial rotary compresses 64 frequencies into lanes [0, 128)."""
    for k, nonzero in golden.items():
        x = np.zeros((1, 1, 512))
        x[0, 0, k] = 1.0
        observed = rope.rope_apply(x, np.array([1000]), base=1e6, rotary_dim=rotary_dim, scaling=scaling)[0, 0]
        expected = np.zeros(512)
        expected[list(nonzero)] = list(nonzero.values())
        assert np.max(np.abs(observed - expected)) <= 5e-10, k  # the golden's 9 printed decimals


def test_xpos_golden_from_reference():
    """REFERENCE: d = 4, B = 512, interleaved, q = [1,2,3,4] at m = 5, k = [4,3,2,1] at n = 2: score −0.707894065021;
    float16's overflow position for B = 512 and unit pairs is 4532.4 (variants.md §7)."""
    q = xpos.xpos_apply(np.array([[1.0, 2, 3, 4]]), np.array([5]), role="query", layout="interleaved")
    k = xpos.xpos_apply(np.array([[4.0, 3, 2, 1]]), np.array([2]), role="key", layout="interleaved")
    assert float((q * k).sum()) == pytest.approx(-0.707894065021, abs=1e-12)
    assert xpos_proofs.overflow_position()(512, 2 / 7, 65504, 1) == pytest.approx(4532.4, abs=0.05)


@pytest.mark.parametrize("kwargs, positions, golden", [
    ({"temperature": {"attn_scale": 0.1, "floor_scale": 8192}}, [0, 8190, 8191, 16382, 16383, 65535, 131071, 1048575, 10**7],
     [1.0, 1.0, 1.069314718056, 1.069314718056, 1.109861228867, 1.219722457734, 1.283321334406, 1.485981240436, 1.710742547411]),
    ({"scaling": {"rope_type": "yarn", "factor": 16.0, "original_max_position_embeddings": 16384, "llama_4_scaling_beta": 0.1}},
     [65535, 131071, 1048575], [1.138629436112, 1.207944154168, 1.415888308336]),
    ({"scaling": {"rope_type": "yarn", "factor": 40.0, "original_max_position_embeddings": 4096, "mscale": 1.0,
                  "mscale_all_dim": 1.0}, "softmax_mscale": True}, [0], [1.8739]),
    ({"scaling": {"rope_type": "yarn", "factor": 40.0, "original_max_position_embeddings": 4096, "mscale": 0.707,
                  "mscale_all_dim": 0.707}, "softmax_mscale": True}, [0], [1.5896]),
])
def test_attention_scale_golden_from_reference(kwargs, positions, golden):
    """variants.md §5 (Llama 4's s(p), Ministral 3's) and models.md (DeepSeek-V3 ×1.8739, V2-Lite ×1.5896), times √D."""
    observed = attention_scale.attention_scale(np.array(positions), 1, **kwargs)
    assert observed == pytest.approx(golden, abs=1e-4 if len(golden) == 1 else 1e-12)


def test_hunyuan_dynamic_alpha_is_fixed_alpha_ntk():
    """HunYuan ships {"type": "dynamic", "alpha": 1000} (beside YaRN keys its modules ignore): read as ntk_alpha, whose
    base b·α^(d/(d−2)) does not depend on seq_len."""
    shipped = {"rope_scaling": {"alpha": 1000.0, "beta_fast": 32, "beta_slow": 1, "factor": 1.0, "mscale": 1.0,
                                "mscale_all_dim": 1.0, "type": "dynamic"}, "max_position_embeddings": 32768}
    scaling = rope_parameters.from_config(shipped)
    assert scaling == {"rope_type": "ntk_alpha", "alpha": 1000.0, "factor": 1.0}
    assert rope_parameters.normalise({"type": "dynamic", "alpha": 1000.0}, 128, None)["rope_type"] == "ntk_alpha"
    short, long = (frequency_model(128, 10000.0, scaling, n).theta for n in (None, 1 << 20))
    assert np.array_equal(short, long)
    assert short[-1] == pytest.approx(frequency_model(128, 10000.0).theta[-1] / 1000.0, rel=1e-14)


@pytest.mark.parametrize("rotary_dim, base, scaling, golden", [
    # GLM-4.1V/4.5V: chunked [8, 12, 12] over the partial rotary's 64 dims (variants.md §3)
    (64, 1e4, {"mrope_section": [8, 12, 12]},
     {0: 2.0, 7: 0.2667042864, 8: 0.3, 19: 0.0126508951, 20: 0.0158113883, 31: 0.0006667607}),
    # Ernie-4.5-VL: [s_h, s_w, s_t] = [22, 22, 20], h/w alternating, then t (variants.md §3)
    (128, 5e5, {"mrope_section": [22, 22, 20], "mrope_hw_alternating": True},
     {0: 3.0, 1: 4.0730861693, 43: 7.412668e-4, 44: 2.415395e-4, 63: 4.9103e-6}),
])
def test_mrope_golden_angles(rotary_dim, base, scaling, golden):
    """The angle (mod 2π) of each listed pair for the query at (t, h, w) = (2, 3, 5), to the golden's printed digits."""
    config = rope_parameters.normalise({"rope_type": "default", **scaling}, rotary_dim, None)
    angles = rope.pair_phases(np.array([[2], [3], [5]]), frequency_model(rotary_dim, base), config)[0]
    for pair, value in golden.items():
        assert abs(math.remainder(angles[pair] - value, 2 * math.pi)) <= max(5e-5 * value if value < 1e-3 else 0, 5e-11), pair


def test_axial_golden_angles():
    """Qwen2-VL's ViT (head 80, θ = 10⁴) at (h, w) = (3, 5): pairs 0 = 3, 19 = 4.75467957738e-4, 20 = 5,
    39 = 7.92446596231e-4 (variants.md §6)."""
    angles = axial.pair_phases(np.array([[3], [5]]), 80, 1e4)[0]
    for pair, value in {0: 3.0, 19: 4.75467957738e-4, 20: 5.0, 39: 7.92446596231e-4}.items():
        assert abs(math.remainder(angles[pair] - value, 2 * math.pi)) <= 5e-15 * max(value, 1), pair


@given(case=rope_cases(max_len=16), keys=positions(max_len=16), dtype=st.sampled_from(("float64", "float32", "bfloat16")))
def test_score_forms_factored_per_position_equal_the_pair_grid(case, keys, dtype):
    """tests/test_rope.py evaluates every query × key pair per position plus one matmul; on the full pair grid,
    ``error_model.rope_score_error`` broadcast and qᵀR₂((n − m)θ)k at exact phases of n − m give the same numbers."""
    q, k, m, rd = case.vectors(dtype, 0), case.vectors(dtype, 1, seq=len(keys)), case.positions, case.rotary_dim
    model = T.model_of(case)
    grid_tolerance = error_model.rope_score_error(
        T.pair_l1(q, case.layout, rd)[:, :, None], T.pair_l1(k, case.layout, rd)[:, None],
        T.magnitudes(m, model)[None, :, None], T.magnitudes(keys, model)[None, None], model.sensitivity, dtype,
        model.attention_factor)
    tolerance = T.score_tolerance(case, q, k, m, keys, dtype)
    np.testing.assert_allclose(tolerance, grid_tolerance, rtol=1e-12)
    (q1, q2), (k1, k2) = split_pairs(q, case.layout, rd), split_pairs(k, case.layout, rd)
    phase = phases.reduce_phases(keys[None, :] - m[:, None], model.hi, model.lo)[None]
    grid = model.attention_factor**2 * rope_proofs.relative_score()(q1[:, :, None], q2[:, :, None], k1[:, None], k2[:, None],
                                                                    phase).sum(-1)
    # Two float64 evaluations of one exact value, a few float64 roundings apart: a small part of even float64's
    # tolerance (whose 10·u per pair covers a float64 sum of products).
    assert np.all(np.abs(T.relative_scores(case, q, k, m, keys) - grid) <= 0.05 * tolerance)
