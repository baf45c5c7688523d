"""The RoPE diagnosers (``tests/diagnosis/rope.py``) on targets whose bug is known.

Each RoPE and scaler zoo member with a ``PLANTED`` hypothesis, called on a configuration its docstring says
exposes the bug, is diagnosed as exactly that hypothesis (through ``rope_frequencies`` and, for the scalers,
``rope_apply`` too); correct targets match the oracle on the probes (the failure is the drawn case's); a
target computing float64 results from float32 angles is a precision limit, and misbehaving targets are
"unexplained" rather than misdiagnosed.
"""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest

from spec import validation
from spec.targets import Target, load_target, numpy_dtype
from tests.diagnosis import MATCHES_ORACLE, PRECISION, SEMANTIC, UNEXPLAINED, diagnose
from tests.diagnosis.rope import PROBE_POSITIONS
from tests.zoo import _textbook as textbook

#: The half-precision members overflow float16 at the probe's large positions: what they are diagnosed for.
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning", "ignore:invalid value encountered:RuntimeWarning")

ZOO = Path(__file__).resolve().parent.parent / "zoo"
MEMBERS = sorted(path for path in ZOO.glob("*.py") if path.name.startswith(("rope_", "scaling_")))
PRECISION_IDS = ("cos/sin", "angles", "frequencies")


def apply_case(head_dim=64, rotary_dim=None, base=10000.0, layout="half", scaling=None, seq_len=None, dtype="float64"):
    """A failing rope_apply call as the gate passes it: its arguments by protocol name (x's values do not matter)."""
    x = np.zeros((1, 4, head_dim), dtype=numpy_dtype(dtype))
    return "rope_apply", dtype, {"x": x, "positions": np.array([0, 3, 70, 5000]), "base": base, "layout": layout,
                                 "rotary_dim": rotary_dim, "scaling": scaling, "seq_len": seq_len}


def frequencies_case(rotary_dim=64, base=10000.0, scaling=None, seq_len=None, dtype="float64"):
    return "rope_frequencies", dtype, {"rotary_dim": rotary_dim, "base": base, "scaling": scaling, "seq_len": seq_len}


YARN = {"rope_type": "yarn", "factor": 8.0, "original_max_position_embeddings": 4096}
LLAMA3 = {"rope_type": "llama3", "factor": 8.0, "original_max_position_embeddings": 8192, "low_freq_factor": 1.0, "high_freq_factor": 4.0}
LONGROPE = {"rope_type": "longrope", "factor": 4.0, "original_max_position_embeddings": 4096,
            "short_factor": [1.0, 1.1, 1.2, 1.3], "long_factor": [2.0, 3.0, 5.0, 8.0]}
DYNAMIC = {"rope_type": "dynamic", "factor": 2.0, "original_max_position_embeddings": 4096}
REVERSE = {"rope_type": "reverse_extrapolation", "original_max_position_embeddings": 4096}

#: member -> (rotary_dim, base, scaling, seq_len) of a scaled configuration that exposes its bug.
SCALED = {
    "scaling_dynamic_below_original": (64, 10000.0, DYNAMIC, 3000),  # seq_len < L0 with s·seq_len/L0 > s − 1
    "scaling_dynamic_ignores_seq_len": (64, 10000.0, DYNAMIC, 5000),  # seq_len ≠ L0·s
    "scaling_ignores_scaling": (64, 10000.0, YARN, None),
    "scaling_linear_multiplied": (64, 10000.0, {"rope_type": "linear", "factor": 4.0}, None),
    "scaling_llama3_no_smoothing": (128, 500000.0, LLAMA3, None),
    "scaling_llama3_unscaled": (128, 500000.0, LLAMA3, None),
    "scaling_longrope_no_attention_factor": (8, 10000.0, LONGROPE, 8192),
    "scaling_longrope_switch_inclusive": (8, 10000.0, LONGROPE, 4096),  # seq_len = L0
    "scaling_ntk_missing_exponent": (64, 10000.0, {"rope_type": "ntk", "factor": 4.0}, None),
    "scaling_reverse_extrapolation_always": (64, 10000.0, REVERSE, 1000),  # seq_len < L0
    "scaling_proportional_ignores_factor": (64, 10000.0, {"rope_type": "proportional", "partial_rotary_factor": 0.25,
                                                          "factor": 8.0}, None),
    "scaling_seed_power_inverted": (64, 10000.0, {"rope_type": "seed_power", "alpha": 2.0}, None),
    "scaling_yarn_beta_defaults_swapped": (64, 10000.0, YARN, None),  # both betas absent
    "scaling_yarn_ignores_mscale": (64, 10000.0, {**YARN, "mscale": 1.0, "mscale_all_dim": 0.5}, None),
    "scaling_yarn_ignores_truncate": (64, 10000.0, {**YARN, "truncate": False}, None),
    "scaling_yarn_inverted_ramp": (64, 10000.0, YARN, None),
    "scaling_yarn_mscale_default_ignored": (64, 10000.0, YARN, None),  # s > 1, no attention key
    "scaling_yarn_no_attention_factor": (64, 10000.0, YARN, None),
    "scaling_yarn_squared_attention_factor": (64, 10000.0, YARN, None),
    "scaling_yarn_swapped_betas": (64, 10000.0, YARN, None),
    "scaling_yarn_truncate_default_false": (64, 10000.0, YARN, None),  # truncate absent
}


def failing_cases(stem: str) -> list[tuple[str, str, dict]]:
    """The (op, dtype, arguments) calls of a member that its bug makes fail."""
    if stem in SCALED:
        rd, base, scaling, seq_len = SCALED[stem]
        return [frequencies_case(rd, base, scaling, seq_len),
                apply_case(rd + 4, rd, base, "interleaved", scaling, seq_len, dtype="float32")]
    return {
        "rope_doubled": [apply_case()],
        "rope_frequencies_half_precision": [frequencies_case(dtype="float32")],
        "rope_half_precision_angles": [apply_case(), apply_case(layout="interleaved", dtype="float32")],
        "rope_half_precision_cos_sin": [apply_case()],
        "rope_head_dim_exponent": [apply_case(rotary_dim=32)],
        "rope_no_negation": [apply_case()],
        "rope_passthrough_touched": [apply_case(rotary_dim=32)],
        "rope_position_offset": [apply_case(), apply_case(base=500000.0, dtype="float32")],
        "rope_swapped_layout": [apply_case(), apply_case(layout="interleaved")],
        "rope_wrong_direction": [apply_case(), apply_case(head_dim=128, rotary_dim=64, dtype="float32")],
    }[stem]


def planted_members() -> list[Path]:
    return [path for path in MEMBERS if getattr(load_target(str(path)).module, "PLANTED", None)]


def named_planted_bugs() -> dict[str, tuple[int, int]]:
    """scheme ("rope", "scaling") -> (members whose every failing case is diagnosed as their PLANTED, members with one)."""
    counts: dict[str, list[int]] = {}
    for path in planted_members():
        target = load_target(str(path))
        named = all(diagnose(target, *case).hypothesis == target.module.PLANTED for case in failing_cases(path.stem))
        count = counts.setdefault(path.stem.split("_")[0], [0, 0])
        count[0] += named
        count[1] += 1
    return {scheme: (named, total) for scheme, (named, total) in counts.items()}


@pytest.mark.parametrize("member", planted_members(), ids=lambda path: path.stem)
def test_diagnosis_names_the_planted_bug(member):
    target = load_target(str(member))
    planted = target.module.PLANTED
    for op, dtype, arguments in failing_cases(member.stem):
        diagnosis = diagnose(target, op, dtype, arguments)
        assert diagnosis.hypothesis == planted, f"{op} {dtype}: {diagnosis.text}"
        assert diagnosis.verdict == (PRECISION if planted.endswith(PRECISION_IDS) else SEMANTIC), diagnosis.text


def test_every_numeric_member_has_a_planted_hypothesis_or_says_none():
    """A member without PLANTED would be silently left out of the count."""
    assert all(hasattr(load_target(str(path)).module, "PLANTED") for path in MEMBERS)


def test_count_of_members_whose_diagnosis_names_the_planted_bug():
    counts = named_planted_bugs()
    print("zoo members whose diagnosis names the planted bug: "
          + ", ".join(f"{scheme} {named}/{total}" for scheme, (named, total) in sorted(counts.items())))
    assert set(counts) == {"rope", "scaling"} and all(named == total for named, total in counts.values()), counts


CORRECT_CASES = [
    apply_case(),
    apply_case(head_dim=96, rotary_dim=32, base=500000.0, layout="interleaved", dtype="float32"),
    apply_case(head_dim=256, base=1e7),
    apply_case(head_dim=2),
]


@pytest.mark.parametrize("name", ["numpy", "tests/independent/complex_rope.py"])
@pytest.mark.parametrize("case", CORRECT_CASES, ids=lambda case: f"{case[1]}-{case[2]['x'].shape[-1]}")
def test_correct_target_matches_the_oracle_on_the_probes(name, case):
    diagnosis = diagnose(load_target(name), *case)
    assert (diagnosis.verdict, diagnosis.hypothesis, diagnosis.text) == (UNEXPLAINED, "", MATCHES_ORACLE)


@pytest.mark.parametrize("case", [
    apply_case(dtype="float16"),
    apply_case(head_dim=64, rotary_dim=32, layout="interleaved", dtype="bfloat16"),
    apply_case(scaling=YARN, dtype="float32"),
    apply_case(scaling=LONGROPE, head_dim=8, seq_len=8192),
    frequencies_case(scaling={**YARN, "truncate": False, "ramp": "paper"}),
    frequencies_case(128, 500000.0, LLAMA3, 9000),
], ids=lambda case: f"{case[0]}-{case[1]}")
def test_reference_matches_the_oracle_in_every_dtype_and_scaling(case):
    diagnosis = diagnose(load_target("numpy"), *case)
    assert diagnosis.text == MATCHES_ORACLE


def _float32_angles(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    """A float64 rope_apply whose θ and m·θ are computed in float32 (the error model wants float64 angles)."""
    _, rd, base = validation.rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    angles = textbook.angles(positions, textbook.inv_freq(rd, base, np.float32))
    return textbook.rotate(x, *textbook.cos_sin(angles, x.dtype), layout, rd)


def _target(name, **ops) -> Target:
    return Target(name, module=types.SimpleNamespace(**ops))


def test_float32_angles_in_a_float64_result_are_a_precision_limit():
    diagnosis = diagnose(_target("float32-angles", rope_apply=_float32_angles), *apply_case(head_dim=128, base=500000.0))
    assert (diagnosis.verdict, diagnosis.hypothesis) == (PRECISION, "float32 angles"), diagnosis.text
    assert "float32 angles: " in diagnosis.text and "a precision limit, not a semantic error" in diagnosis.text


@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_positions_rounded_to_the_input_dtype_are_named(precision):
    """rotary-embedding-torch builds the positions in x's dtype: 1001 → 1000 in bfloat16, 4097 → 4096 in float16."""
    def rounded(x, positions, **kwargs):
        with np.errstate(over="ignore"):
            held = positions.astype(numpy_dtype(precision)).astype(np.float64)
        return load_target("numpy").module.rope_apply(x, np.where(np.isfinite(held), held, 0).astype(np.int64), **kwargs)

    diagnosis = diagnose(_target("rounded-positions", rope_apply=rounded), *apply_case(dtype="float32"))
    assert (diagnosis.verdict, diagnosis.hypothesis) == (PRECISION, f"{precision} positions"), diagnosis.text


def test_float32_angles_are_exact_for_a_float32_result():
    """The error model assumes float32 angles for float32 results: nothing to diagnose."""
    diagnosis = diagnose(_target("float32-angles", rope_apply=_float32_angles), *apply_case(dtype="float32"))
    assert diagnosis.text == MATCHES_ORACLE


def test_a_semantic_bug_in_a_low_precision_is_not_called_a_precision_limit():
    """An offset by one on top of float32 angles: position 0's tolerance stays tight at every angle precision, so
    no precision hypothesis explains it, and the offset's float64 tolerance does not either."""
    def offset(x, positions, **kwargs):
        return _float32_angles(x, positions + 1, **kwargs)

    diagnosis = diagnose(_target("offset", rope_apply=offset), *apply_case())
    assert (diagnosis.verdict, diagnosis.hypothesis) == (UNEXPLAINED, ""), diagnosis.text
    assert diagnosis.text.startswith("no hypothesis explains the output")


def test_estimated_constants_are_named():
    def other_base(x, positions, **kwargs):
        return load_target("numpy").module.rope_apply(x, positions, **{**kwargs, "base": 10000.0})

    diagnosis = diagnose(_target("other-base", rope_apply=other_base), *apply_case(base=500000.0))
    assert (diagnosis.hypothesis, diagnosis.text) == ("other base", "base ≈ 10000 where base=500000 was asked")


def test_the_probe_respects_the_targets_largest_position():
    seen = []

    def recording(x, positions, **kwargs):
        seen.append(int(positions.max()))
        return -x

    target = _target("table", rope_apply=recording)
    target.max_positions = 5000
    diagnose(target, *apply_case())
    assert seen == [max(m for m in PROBE_POSITIONS if m <= 5000)]


@pytest.mark.parametrize("behaviour", ["raises", "noise", "wrong shape"])
def test_a_misbehaving_target_is_unexplained_not_misdiagnosed(behaviour):
    def rope_apply(x, positions, **kwargs):
        if behaviour == "raises":
            raise RuntimeError("kernel failed")
        if behaviour == "wrong shape":
            return x[..., :2]
        return np.random.default_rng(0).standard_normal(x.shape).astype(x.dtype)

    def rope_frequencies(rotary_dim, **kwargs):
        return rope_apply(np.zeros((1, 1, rotary_dim // 2)), np.zeros(1, np.int64))[0, 0], 1.0

    target = _target(behaviour, rope_apply=rope_apply, rope_frequencies=rope_frequencies)
    for case in (apply_case(), frequencies_case()):
        diagnosis = diagnose(target, *case)
        assert (diagnosis.verdict, diagnosis.hypothesis) == (UNEXPLAINED, ""), diagnosis.text
        assert diagnosis.text != MATCHES_ORACLE
