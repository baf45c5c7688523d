"""Bug: ALiBi added with the wrong sign, +m·|q − k| — attention-gym's first ALiBi score_mod (attention.md §2 #8):
distant keys get *more* weight.

Caught by the q = 0 probe (each slope reads −m) and the oracle."""

import numpy as np

from tests.zoo._attention import Textbook

PLANTED = None


class SignFlipped(Textbook):
    def alibi(self, m, q_pos, k_pos, causal):
        return m[:, None, None] * np.abs(q_pos[:, None] - k_pos[None, :])[None]  # BUG: + instead of −


attention = SignFlipped().attention
