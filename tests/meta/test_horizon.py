"""The precision-horizon property (``tests/test_horizon.py``) can fail."""

from __future__ import annotations

from pathlib import Path

from spec.targets import load_target
from tests import horizon
from tests.test_horizon import FLOOR

ZOO = Path(__file__).resolve().parents[1] / "zoo"


def test_horizon_falls_short_for_half_precision_angles():
    """Angles in float16 (positions exact only up to 2048) give a horizon far below FLOOR. (The zoo's gate runs
    in float64, where this property is not run.)"""
    measure = horizon.Measure(load_target(str(ZOO / "rope_half_precision_angles.py")), "float32")
    assert horizon.horizon(measure.agreement, measure.limit).position < FLOOR
