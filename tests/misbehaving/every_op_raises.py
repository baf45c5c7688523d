"""Misbehaves: every op raises — a user's first target, written against other signatures than the protocol's.

Python itself raises TypeError on every call (a missing or an unexpected argument), so the bodies never run.
Expected: every op "error" naming its TypeError and the protocol's signature, each reported at its first
example (never shrunk); ``pytest -m conformance --target`` this file ends in seconds (scripts/broken_targets.py).
"""


def sinusoidal(seq_len, dim, device):
    return None


def rope_frequencies(dim, theta=10000.0):
    return None


def rope_apply(q, k, cos, sin):
    return None


def alibi_slopes(num_heads, max_bias):
    return None


def alibi_bias(slopes, q_len, k_len):
    return None


def t5_bucket(relative_position, bidirectional, num_buckets, max_distance, scale):
    return None


def learned_absolute(positions):
    return None
