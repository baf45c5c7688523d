"""Bug: Gemma 4's proportional RoPE implemented as ordinary partial rotary: only the first d_r = int(p·d) dims
rotate, with θ_j = b^(−2j/d_r) and pairs (j, j + d_r/2), the rest passed through — a compressed spectrum on the
wrong lanes instead of the whole head's R highest frequencies.

Caught by the proportional property (pairs j < R must match the whole head's rotation) and the scaled oracle."""

from spec import validation
from tests.zoo import _scaled
from tests.zoo import _textbook as textbook

PLANTED = None  # a different rotation geometry: no frequency-map hypothesis describes it
EXTENSIONS = _scaled.EXTENSIONS
ROPE_TYPES = ("default", "proportional")

rope_frequencies, _rope_apply = _scaled.make_ops(_scaled.correct)


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    _, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    if config is None or config["rope_type"] != "proportional":
        return _rope_apply(x, positions, base=base, layout=layout, rotary_dim=rotary_dim, scaling=scaling, seq_len=seq_len)
    partial = 2 * (int(config["partial_rotary_factor"] * rd) // 2)  # BUG: rotate the first p·d dims only
    if partial == 0:
        return x.copy()
    angles = textbook.angles(positions, textbook.inv_freq(partial, base, textbook.angle_dtype(x)) / config["factor"])
    cos, sin = textbook.cos_sin(angles, x.dtype)
    return textbook.rotate(x, cos, sin, layout, partial)
