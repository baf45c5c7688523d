"""Bug: explicit slopes ignored — each tensor-parallel rank computes alibi_slopes of its local head count instead of
taking its slice of the global slopes (Megatron-DeepSpeed#227, flashinfer#1606; attention.md §2 #13).

Caught by the probe and the oracle when a rank's slopes are passed."""

from tests.zoo._attention import Textbook

PLANTED = None


class LocalSlopes(Textbook):
    def slopes(self, heads, given, work):
        return super().slopes(heads, None, work)  # BUG: the given (global) slopes are dropped


attention = LocalSlopes().attention
