"""Bug: hidden keys get a finite floor (``finfo.min``, Hugging Face's eager masks) instead of −inf: a row with no
visible key becomes uniform and returns the mean of v, not 0 (attention.md §1.3, §2 #18's family).

Caught by the alignment property (more queries than keys) and the oracle."""

import numpy as np

from tests.zoo._attention import Textbook

PLANTED = None


class UniformRows(Textbook):
    def mask(self, s, visible):
        return np.where(visible, s, np.finfo(s.dtype).min)  # BUG: a finite mask value


attention = UniformRows().attention
