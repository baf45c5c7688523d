"""Bug: ALiBi in its key-only form m·k (Bloom's, flash-attn's causal path) also without a causal mask — where it is
not a row constant away from −m·|q − k|: keys after the query get a growing weight
(ofirpress/attention_with_linear_biases#5; attention.md §0).

Caught by the probe (non-causal) and the oracle; passes every causal property, as it should."""

from tests.zoo._attention import Textbook

PLANTED = None


class KeyOnly(Textbook):
    def alibi(self, m, q_pos, k_pos, causal):
        return m[:, None, None] * k_pos[None, None, :] + 0 * q_pos[None, :, None]  # BUG: key-only whatever the mask


attention = KeyOnly().attention
