"""Misbehaves: alibi_slopes calls sys.exit(3) (a library "giving up" on the whole process).

Expected: alibi_slopes "error" (SystemExit is caught like any exception); the run still exits 1, not 3;
the other ops (NumPy reference) pass."""

import sys

from tests.misbehaving._reference import *  # every op correct but the one below


def alibi_slopes(num_heads):
    sys.exit(3)
