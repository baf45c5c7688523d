"""Learned absolute positions (BERT, GPT-2): a trained table W ``[num_positions, dim]``, PE(p) = W[p].

Nothing relates rows of an arbitrary trained table, so the definition is the lookup itself: exact
row copies, and a clear error for a position outside [0, num_positions). ``proofs/learned_absolute.py``
records why no relational property exists.
"""

from __future__ import annotations

import numpy as np

from spec import validation


def learned_absolute(table, positions):
    validation.learned_absolute_args(table, positions)
    return np.asarray(table, dtype=np.float64)[np.asarray(positions)]
