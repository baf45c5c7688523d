"""Bug: positions converted to float16 before the bias is formed (a position tensor in the model's dtype): float16
keeps integers exactly up to 2048 only, so past a long cache neighbouring keys share a distance (attention.md §2 #10).

Caught by the shift property (positions moved past 2048) and the oracle at large positions."""

import numpy as np

from tests.zoo._attention import Textbook

PLANTED = None


class HalfPositions(Textbook):
    def position_values(self, positions, work):
        return positions.astype(np.float16).astype(work)  # BUG: float16 positions


attention = HalfPositions().attention
