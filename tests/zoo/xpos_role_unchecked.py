"""Bug: xPos accepts any ``role`` and treats everything that is not "query" as a key (and any scale_base), so a typo
("q", "queries") silently scales queries as keys.

Caught by the xPos validation property."""

from spec import validation
from tests.zoo import _textbook as textbook

PLANTED = None


def xpos_apply(x, positions, *, role, base=10000.0, layout="half", scale_base=512.0):
    head_dim, _, base, _ = validation.scaled_rope_apply_args(x, positions, base, layout, None, None, None)
    role = "query" if role == "query" else "key"  # BUG: role and scale_base never checked
    return textbook.xpos_rotate(x, positions, base, layout, textbook.xpos_scale(textbook.xpos_zeta(head_dim), positions, scale_base, role))
