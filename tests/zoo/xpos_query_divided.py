"""Bug: xPos scales queries by ζ^(−m/B) and keys by ζ^(+n/B) — the exponent's sign swapped (variants.md §9, bug 33):
scores still depend on n − m only, but grow with the distance instead of decaying.

Caught by the xPos value and relative properties (the relative one sees the decay run the wrong way)."""


from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = None


def xpos_apply(x, positions, *, role, base=10000.0, layout="half", scale_base=512.0):
    head_dim, role, base, layout, scale_base = validation.xpos_apply_args(x, positions, role, base, layout, scale_base)
    swapped = "key" if role == "query" else "query"  # BUG: each role gets the other's scale
    return textbook.xpos_rotate(x, positions, base, layout, textbook.xpos_scale(textbook.xpos_zeta(head_dim), positions, scale_base, swapped))
