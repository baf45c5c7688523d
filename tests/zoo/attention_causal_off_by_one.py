"""Bug: the causal mask one key late — query i also sees the key right after it (``q_idx + 1 >= kv_idx``, a
derived mutant of attention.md §2).

Caught by the invisible-keys property (a key after every query changes the output), alignment and the oracle."""

from tests.zoo._attention import Textbook

PLANTED = None


class OffByOne(Textbook):
    def visible(self, q_pos, k_pos, causal):
        if not causal:
            return super().visible(q_pos, k_pos, causal)
        return k_pos[None, :] <= q_pos[:, None] + 1  # BUG: one key too many


attention = OffByOne().attention
