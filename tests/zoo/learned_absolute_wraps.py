"""Bug: no range check: negative positions wrap like NumPy indexing, too-large ones are taken modulo len(table).

Caught by the learned_absolute out-of-range property (positions outside [0, len(table)) must raise ValueError)."""

from spec import validation

PLANTED = None  # learned_absolute has no diagnoser


def learned_absolute(table, positions):
    validation.float_array("table", table, min_ndim=2)
    validation.integer_array("positions", positions, ndim=1)
    return table[positions % len(table)]
