"""Bug: xPos scales keys by ζ^(+n/B) like queries instead of by the inverse, so a score carries ζ^((m+n)/B) and
depends on where the pair sits, not only on its distance.

Caught by the xPos value and relative properties."""


from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = None


def xpos_apply(x, positions, *, role, base=10000.0, layout="half", scale_base=512.0):
    head_dim, role, base, layout, scale_base = validation.xpos_apply_args(x, positions, role, base, layout, scale_base)
    scale = textbook.xpos_scale(textbook.xpos_zeta(head_dim), positions, scale_base, "query")  # BUG: role ignored
    return textbook.xpos_rotate(x, positions, base, layout, scale)
