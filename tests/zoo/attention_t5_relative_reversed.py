"""Bug: T5's relative position taken as query − key instead of key − query: the bidirectional halves swap (keys
after the query read the buckets of keys before it; attention.md §2's derived mutants).

Caught by the oracle (bidirectional T5)."""

from tests.zoo._attention import Textbook

PLANTED = None


class Reversed(Textbook):
    def t5_relative(self, q_pos, k_pos):
        return q_pos[:, None] - k_pos[None, :]  # BUG: query − key


attention = Reversed().attention
