"""The precision horizon of a target's RoPE (``tests/horizon.py``): where its accuracy runs out.

Measured for every target and dtype and reported in the conformance report (``info`` and
``horizon``). The property: both horizons reach at least FLOOR = 2^16, every position of a 64K
context — a target whose angles are computed in half precision, or whose positions are rounded,
falls short of it.
"""

from __future__ import annotations

import pytest

from tests import checks, horizon
from tests.checks import assert_true, conformance

FLOOR = 2**16


@conformance("rope_apply", "horizon", derivation="rope.relative")
@pytest.mark.dtypes("float32", "bfloat16")
def test_rope_precision_horizon(target, dtype):
    measure = horizon.Measure(target, dtype)
    agreement, relative = horizon.horizon(measure.agreement, measure.limit), horizon.horizon(measure.relative, measure.limit)
    checks.RECORD["info"] = (f"precision horizon in {dtype} (head_dim 128, base 5e5, error ≤ {horizon.THRESHOLD:g}): "
                             f"cos/sin {agreement.describe()}; q·k {relative.describe()}")
    checks.RECORD["horizon"] = {"dtype": dtype, "threshold": horizon.THRESHOLD, "agreement": agreement.position,
                                "relative": relative.position, "limit": measure.limit}
    floor = min(FLOOR, measure.limit)  # a table shorter than the floor is checked to its end
    assert_true([agreement.position >= floor, relative.position >= floor],
                what=f"precision horizon below {FLOOR} (cos/sin {agreement.describe()}; q·k {relative.describe()})")
