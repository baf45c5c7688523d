"""Property tests: one module per scheme, run against every selected target by the gate (conftest.py)."""
