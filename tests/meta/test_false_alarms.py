"""Cases where a property once failed a correct target (the own references), kept as regressions: a false alarm is
the worst bug a gate can have."""

from __future__ import annotations

import pytest

from spec.targets import load_target
from tests import test_attention


@pytest.mark.parametrize("reference", ["numpy", "torch"])
def test_probe_reads_no_subnormal_own_probability(reference):
    """The thorough profile drew a T5 table where the own key's probability was subnormal in float16 (≈ 4.5·10⁻⁶,
    0.7 % relative spacing): the probe read log p_own there, outside its error model (normal numbers only). The
    probe now reads a pair only where p_ij and p_own are both normal numbers."""
    case = test_attention.Case(batch=2, heads=16, kv_heads=4, q_len=4, k_len=9, head_dim=4, value_dim=4, causal=False,
                               bias="t5", positions="default", q_offset=0, k_offset=0, scale=None, rank=None, ranks=4,
                               t5=(False, 5, 4), seed=4, q_exponent=0)
    test_attention.read_bias(load_target(reference), "float16", case, "T5")
