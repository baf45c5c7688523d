"""Misbehaves: t5_bucket never returns (it sleeps for an hour, swallowing ordinary exceptions).

Expected: t5_bucket "fail" (timed out after CONFORMANCE_OP_TIMEOUT s); the other ops (NumPy reference) pass."""

import contextlib
import time

from tests.misbehaving._reference import *  # every op correct but the one below


def t5_bucket(relative_position, **kwargs):
    while True:
        with contextlib.suppress(Exception):
            time.sleep(3600)
