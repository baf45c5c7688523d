"""Bug: returns rows table[positions + 1] (clipped at the last row) instead of table[positions].

Caught by the learned_absolute lookup property (row p must be exactly table[p])."""

import numpy as np

from spec import validation

PLANTED = None  # learned_absolute has no diagnoser


def learned_absolute(table, positions):
    validation.learned_absolute_args(table, positions)
    return table[np.minimum(positions + 1, len(table) - 1)]
