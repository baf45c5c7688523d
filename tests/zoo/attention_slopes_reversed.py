"""Bug: the slopes in reverse head order (head 0 gets the gentlest slope) — an index bug of slope tables built
from the last head (attention.md §2 #15's family).

Caught by the q = 0 probe (each head's slope) and the oracle."""

from tests.zoo._attention import Textbook

PLANTED = None


class Reversed(Textbook):
    def slopes(self, heads, given, work):
        return super().slopes(heads, given, work)[::-1]  # BUG: reversed across heads


attention = Reversed().attention
