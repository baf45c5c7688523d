"""Bug: h and w counted in un-merged patches (row·m, column·m) where the language model sees one token per m × m
merge block (variants.md §9 bug 28): right for merge size 1 only.

Caught by the position builder's oracle (the rows stay self-consistent, so concatenation holds)."""

from tests.zoo import _textbook as textbook

PLANTED = None

mrope_positions = textbook.mrope_positions_with(merged=False)  # BUG
