"""The diagnosis of failing sinusoidal, ALiBi and T5 properties (``tests/diagnosis/tables.py``).

Each zoo member of these ops names its bug as ``PLANTED`` (a hypothesis id of the module's table, or None
where no hypothesis covers it); on a configuration that exposes the bug (written by hand from the member's
docstring) the diagnosis must name exactly that hypothesis, with the table's verdict. Correct targets get
"matches the oracle", a target that raises gets "unexplained", and small in-test targets exercise the
hypotheses no zoo member plants (each one bug class, built from the exact oracle).
"""

from __future__ import annotations

import re
import types
from pathlib import Path

import numpy as np
import pytest

from spec import alibi, sinusoidal, t5
from spec.targets import Target, load_target
from tests.diagnosis import MATCHES_ORACLE, PRECISION, SEMANTIC, UNEXPLAINED, diagnose
from tests.diagnosis import tables

ROOT = Path(__file__).resolve().parents[2]
SCHEMES = ("sinusoidal", "alibi", "t5")
MEMBERS = sorted(str(path.relative_to(ROOT)) for scheme in SCHEMES for path in (ROOT / "tests" / "zoo").glob(f"{scheme}_*.py"))

T5_DEFAULT = {"bidirectional": True, "num_buckets": 32, "max_distance": 128}


def _table(positions, dim, base=10000.0, layout="interleaved"):
    return {"positions": np.array(positions), "dim": dim, "base": base, "layout": layout}


def _bias_shape(num_heads, q_len, k_len, causal=True):
    return {"num_heads": num_heads, "q_len": q_len, "k_len": k_len, "causal": causal}


def _relative(*relative_position, **config):
    return {"relative_position": np.array(relative_position), **T5_DEFAULT, **config}


#: member → (op, result dtype, arguments of a call that exposes its bug), from each member's docstring.
FAILING = {
    "tests/zoo/sinusoidal_ignores_base.py": ("sinusoidal", "float64", _table([0, 1, 5], 8, base=500.0)),
    "tests/zoo/sinusoidal_ignores_layout.py": ("sinusoidal", "float64", _table([0, 1, 5], 8, layout="concat")),
    "tests/zoo/sinusoidal_position_offset.py": ("sinusoidal", "float64", _table([0, 3], 16)),
    "tests/zoo/sinusoidal_sin_only.py": ("sinusoidal", "float64", _table([0, 2], 4)),
    "tests/zoo/sinusoidal_swapped_sin_cos.py": ("sinusoidal", "float64", _table([0, 9], 8, layout="concat")),
    # Float16 rounds the slopes of a non-power-of-two head count (and j > 2048): far outside the float32 model.
    "tests/zoo/alibi_bias_half_precision.py": ("alibi_bias", "float32", _bias_shape(12, 5, 160)),
    "tests/zoo/alibi_bias_masks_diagonal.py": ("alibi_bias", "float64", _bias_shape(2, 4, 4)),
    "tests/zoo/alibi_bias_symmetric_ignored.py": ("alibi_bias", "float64", _bias_shape(2, 4, 4, causal=False)),
    "tests/zoo/alibi_bias_top_left_mask.py": ("alibi_bias", "float64", _bias_shape(2, 3, 8)),
    "tests/zoo/alibi_bias_wrong_sign.py": ("alibi_bias", "float64", _bias_shape(2, 4, 4)),
    "tests/zoo/alibi_slopes_non_power_of_two.py": ("alibi_slopes", "float64", {"num_heads": 12}),
    "tests/zoo/alibi_slopes_off_by_one.py": ("alibi_slopes", "float64", {"num_heads": 8}),
    "tests/zoo/t5_max_exact_quarter.py": ("t5_bucket", "int64", _relative(-5)),
    "tests/zoo/t5_modulo_cap.py": ("t5_bucket", "int64", _relative(-500)),
    "tests/zoo/t5_round_instead_of_floor.py": ("t5_bucket", "int64", _relative(-10)),
    "tests/zoo/t5_sign_convention.py": ("t5_bucket", "int64", _relative(5)),
}
CORRECT = ("numpy", "tests/independent/complex_rope.py")


def documented_hypotheses() -> dict[str, str]:
    """id → verdict ("semantic" or "precision") from the table in the module docstring of tests/diagnosis/tables.py."""
    rows = re.findall(r"^(\S+(?: \S+)*)\s{2,}(?:sinusoidal|alibi_\S+|t5_bucket)\s.*\s(semantic|precision)$", tables.__doc__, re.M)
    return dict(rows)


def diagnosis_of(member: str):
    op, dtype, arguments = FAILING[member]
    return diagnose(load_target(member), op, dtype, arguments)


def planted(member: str):
    return load_target(member).module.PLANTED


def planted_named_counts() -> dict[str, dict[str, int]]:
    """scheme → {"named": members whose diagnosis names their PLANTED hypothesis, "planted": members with one,
    "members": all of the scheme's members}."""
    counts = {}
    for scheme in SCHEMES:
        members = [m for m in MEMBERS if Path(m).name.startswith(f"{scheme}_")]
        with_planted = [m for m in members if planted(m) is not None]
        named = sum(1 for m in with_planted if diagnosis_of(m).hypothesis == planted(m))
        counts[scheme] = {"named": named, "planted": len(with_planted), "members": len(members)}
    return counts


# --- the zoo ------------------------------------------------------------------------------------------

def test_every_member_names_its_bug_and_has_a_failing_configuration():
    assert MEMBERS, "no sinusoidal/alibi/t5 zoo members found"
    ids = documented_hypotheses()
    for member in MEMBERS:
        module = load_target(member).module
        assert hasattr(module, "PLANTED"), f"{member} has no PLANTED attribute"
        if module.PLANTED is not None:
            assert module.PLANTED in ids, f"{member}: PLANTED = {module.PLANTED!r} is not a documented hypothesis id"
            assert member in FAILING, f"{member} has no failing configuration in FAILING"


@pytest.mark.parametrize("member", sorted(FAILING))
def test_diagnosis_names_the_planted_bug(member):
    diagnosis = diagnosis_of(member)
    assert diagnosis.hypothesis == planted(member), diagnosis
    verdict = {"semantic": SEMANTIC, "precision": PRECISION}[documented_hypotheses()[diagnosis.hypothesis]]
    assert diagnosis.verdict == verdict, diagnosis


def test_most_members_of_each_scheme_are_diagnosed():
    """The measure of the issue: every member with a PLANTED bug is diagnosed as it, and most members have one."""
    for scheme, count in planted_named_counts().items():
        assert count["named"] == count["planted"] and 2 * count["planted"] > count["members"], (scheme, count)


def test_exact_slope_rule_is_the_oracle():
    """The slope hypotheses are built by the same exact rule as the oracle (shift 0, interleaved) for every n the gate draws."""
    for n in range(1, 81):
        assert np.array_equal(tables._Slopes.rule(n).values, alibi.alibi_slopes(n)), n


def test_half_precision_bias_is_a_precision_limit():
    diagnosis = diagnosis_of("tests/zoo/alibi_bias_half_precision.py")
    assert (diagnosis.verdict, diagnosis.hypothesis) == (PRECISION, "float16 bias")
    assert "precision limit" in diagnosis.text


# --- correct and raising targets ----------------------------------------------------------------------

@pytest.mark.parametrize("name", CORRECT)
def test_correct_targets_match_the_oracle(name):
    target = load_target(name)
    for op, dtype, arguments in FAILING.values():
        diagnosis = diagnose(target, op, dtype, arguments)
        found = (diagnosis.verdict, diagnosis.hypothesis, diagnosis.text)
        assert found == (UNEXPLAINED, "", MATCHES_ORACLE), (op, arguments, diagnosis)


def _raises(*args, **kwargs):
    raise RuntimeError("kernel failed")


@pytest.mark.parametrize("op", ["sinusoidal", "alibi_slopes", "alibi_bias", "t5_bucket"])
def test_target_raising_on_the_probe_is_unexplained(op):
    arguments = next(arguments for op_, _, arguments in FAILING.values() if op_ == op)
    diagnosis = diagnose(Target("raises", module=types.SimpleNamespace(**{op: _raises})), op, "float64", arguments)
    assert diagnosis.verdict == UNEXPLAINED and "raised" in diagnosis.text, diagnosis


# --- hypotheses no zoo member plants: one small target each -------------------------------------------

def _t2t_table(positions, dim, *, base=10000.0, layout="interleaved"):
    """tensor2tensor's get_timing_signal_1d: ω_i = base^(−i/(dim/2 − 1)), [sin | cos]."""
    half = dim // 2
    angles = positions[:, None] * base ** (-np.arange(half) / (half - 1))
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)


def _cached_table(positions, dim, *, base=10000.0, layout="interleaved"):
    """A 512-row table indexed with a clamp (an out-of-range position reads the last row)."""
    return sinusoidal.sinusoidal(np.minimum(positions, 511), dim, base=base, layout=layout)


def _llama_base(positions, dim, *, base=10000.0, layout="interleaved"):
    return sinusoidal.sinusoidal(positions, dim, base=500000.0, layout=layout)


def _float32_angles(positions, dim, *, base=10000.0, layout="interleaved"):
    inv_freq = 1.0 / np.float32(base) ** (np.arange(0, dim, 2, dtype=np.float32) / dim)
    angles = (positions.astype(np.float32)[:, None] * inv_freq).astype(np.float64)
    table = np.empty((len(positions), dim))
    first, second = (slice(0, dim // 2), slice(dim // 2, dim)) if layout == "concat" else (slice(0, dim, 2), slice(1, dim, 2))
    table[:, first], table[:, second] = np.sin(angles), np.cos(angles)
    return table


def _float16_table(positions, dim, *, base=10000.0, layout="interleaved"):
    return sinusoidal.sinusoidal(positions, dim, base=base, layout=layout).astype(np.float16).astype(np.float32)


def _sixteen_head_slopes(num_heads):
    return alibi.alibi_slopes(16)[:num_heads]


def _sixteen_head_bias(num_heads, q_len, k_len, *, causal=True):
    bias = alibi.alibi_bias(num_heads, q_len, k_len, causal=causal)
    return bias / alibi.alibi_slopes(num_heads)[:, None, None] * _sixteen_head_slopes(num_heads)[:, None, None]


def _float32_slopes(num_heads):
    return alibi.alibi_slopes(num_heads).astype(np.float32).astype(np.float64)


def _unmasked_bias(num_heads, q_len, k_len, *, causal=True):
    return alibi.alibi_bias(num_heads, q_len, k_len, causal=False)


def _always_causal_buckets(relative_position, *, bidirectional=True, num_buckets=32, max_distance=128):
    return t5.t5_bucket(relative_position, bidirectional=False, num_buckets=num_buckets, max_distance=max_distance)[0]


def _default_max_distance(relative_position, *, bidirectional=True, num_buckets=32, max_distance=128):
    return t5.t5_bucket(relative_position, bidirectional=bidirectional, num_buckets=num_buckets, max_distance=128)[0]


def _max_distance_300(relative_position, *, bidirectional=True, num_buckets=32, max_distance=128):
    return t5.t5_bucket(relative_position, bidirectional=bidirectional, num_buckets=num_buckets, max_distance=300)[0]


def _float16_log_buckets(relative_position, *, bidirectional=True, num_buckets=32, max_distance=128):
    """T5 buckets with the log coordinate evaluated in float16 (n/E stays below float16's 65504 for E = 16)."""
    half = num_buckets // 2 if bidirectional else num_buckets
    exact = half // 2
    side = np.where(relative_position > 0, half, 0) if bidirectional else 0
    n = np.abs(relative_position) if bidirectional else np.maximum(-relative_position, 0)
    ratio = (np.maximum(n, exact) / exact).astype(np.float16)
    x = np.log(ratio) / np.float16(np.log(max_distance / exact)) * np.float16(half - exact)
    return side + np.where(n < exact, n, np.minimum(exact + x.astype(np.int64), half - 1))


SINUSOIDAL_CASE = _table([0, 3, 77], 16)
CAUSAL, SYMMETRIC = _bias_shape(6, 4, 9), _bias_shape(6, 4, 9, causal=False)
#: name → (target function, op, result dtype, arguments, the hypothesis id, a detail its sentence must give)
SYNTHETIC = {
    "tensor2tensor table": (_t2t_table, "sinusoidal", "float64", SINUSOIDAL_CASE, "t2t denominator", "concat"),
    "512-row table": (_cached_table, "sinusoidal", "float64", SINUSOIDAL_CASE, "position cap", "511"),
    "Llama's base": (_llama_base, "sinusoidal", "float64", SINUSOIDAL_CASE, "other base", "500000"),
    "float32 angles": (_float32_angles, "sinusoidal", "float64", SINUSOIDAL_CASE, "float32 angles", "float64"),
    "float16 table": (_float16_table, "sinusoidal", "float32", SINUSOIDAL_CASE, "float16 table", "float16"),
    "16-head slopes": (_sixteen_head_slopes, "alibi_slopes", "float64", {"num_heads": 12}, "other head count", "16 heads"),
    "float32 slopes": (_float32_slopes, "alibi_slopes", "float64", {"num_heads": 12}, "float32 slopes", "float32"),
    "16-head bias": (_sixteen_head_bias, "alibi_bias", "float64", CAUSAL, "other head count", "16 heads truncated"),
    "16-head symmetric bias": (_sixteen_head_bias, "alibi_bias", "float64", SYMMETRIC, "other head count", "16 heads truncated"),
    "no mask": (_unmasked_bias, "alibi_bias", "float64", _bias_shape(3, 4, 4), "no causal mask", "−inf"),
    "always causal": (_always_causal_buckets, "t5_bucket", "int64", _relative(5), "bidirectional ignored", "=False"),
    "default max_distance": (_default_max_distance, "t5_bucket", "int64", _relative(-500, max_distance=300),
                             "other max_distance", "128"),
    "max_distance 300": (_max_distance_300, "t5_bucket", "int64", _relative(-200), "other max_distance", "300"),
    "float16 log": (_float16_log_buckets, "t5_bucket", "int64", _relative(-3, num_buckets=64, max_distance=1000), "float16 log",
                    "float16"),
}


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_diagnosis_of_a_synthetic_bug(name):
    function, op, dtype, arguments, hypothesis, detail = SYNTHETIC[name]
    diagnosis = diagnose(Target(name, module=types.SimpleNamespace(**{op: function})), op, dtype, arguments)
    assert diagnosis.hypothesis == hypothesis and detail in diagnosis.text, diagnosis
    verdict = {"semantic": SEMANTIC, "precision": PRECISION}[documented_hypotheses()[hypothesis]]
    assert diagnosis.verdict == verdict, diagnosis


def test_unknown_bug_is_unexplained():
    """A table that is simply wrong (all zeros) matches no hypothesis: "unexplained", never a guess."""
    zeros = Target("zeros", module=types.SimpleNamespace(sinusoidal=lambda positions, dim, **_: np.zeros((len(positions), dim))))
    diagnosis = diagnose(zeros, "sinusoidal", "float64", SINUSOIDAL_CASE)
    assert (diagnosis.verdict, diagnosis.hypothesis) == (UNEXPLAINED, "") and "no hypothesis" in diagnosis.text, diagnosis


def test_documented_table_covers_every_op():
    """Each op of this module has documented semantic and precision hypotheses (the summary tells them apart)."""
    rows = re.findall(r"^\S+(?: \S+)*\s{2,}(sinusoidal|alibi_\S+|t5_bucket)\s.*\s(semantic|precision)$", tables.__doc__, re.M)
    for op in ("sinusoidal", "alibi_slopes", "alibi_bias", "t5_bucket"):
        shared = "alibi_*" if op.startswith("alibi") else op  # "alibi_*": the slope hypotheses explain both ALiBi ops
        verdicts = {verdict for documented, verdict in rows if documented in (op, shared)}
        assert verdicts == {"semantic", "precision"}, (op, verdicts)
