"""Validation of every op's arguments: one place, one wording.

Each check raises ``TypeError`` (wrong kind of value) or ``ValueError`` (right kind, outside the
allowed range) whose message starts with the parameter's name and states what is allowed. The
oracle in ``spec/`` and the implementations in ``impl/`` call these same checks, so a bad argument
reads the same everywhere. Arrays may be NumPy or torch; only ``.dtype``/``.shape`` are inspected.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from spec import rope_parameters

HALF_LAYOUTS = ("half", "interleaved")
SINUSOIDAL_LAYOUTS = ("interleaved", "concat")


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def integer(name: str, value, *, minimum: int) -> int:
    """An int (not bool) ``>= minimum``."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r} of type {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def even_dim(name: str, value) -> int:
    """A positive even dimension (rotation pairs and sin/cos pairs need two coordinates each)."""
    value = integer(name, value, minimum=2)
    if value % 2:
        raise ValueError(f"{name} must be a positive even integer, got {value}")
    return value


def base(value) -> float:
    """The frequency base b of θ_i = b^(−2i/d): a finite real number > 1.

    b = 1 makes every frequency 1 and b < 1 reverses their order; neither is a positional encoding.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"base must be a finite real number > 1, got {value!r}")
    if not math.isfinite(value) or value <= 1:
        raise ValueError(f"base must be a finite real number > 1, got {value}")
    return float(value)


def layout(value, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"layout must be one of {allowed}, got {value!r}")
    return value


def rotary_dim(value, head_dim: int) -> int:
    """``None`` means head_dim; otherwise an even integer in [2, head_dim]."""
    if value is None:
        return head_dim
    value = even_dim("rotary_dim", value)
    if value > head_dim:
        raise ValueError(f"rotary_dim must be an even integer in [2, head_dim={head_dim}], got {value}")
    return value


def _unscaled_only(config) -> None:
    """For implementations of plain RoPE: a (valid) scaler or multi-axis RoPE is a feature they do not offer."""
    if config is not None and config.get("mrope_section") is not None:
        raise NotImplementedError("multi-axis RoPE (scaling['mrope_section']) is not implemented")
    if config is not None:
        raise NotImplementedError(f"scaling rope_type={config['rope_type']!r} is not implemented")


def _dtype_is_integer(dtype) -> bool:
    if hasattr(dtype, "is_floating_point"):  # torch.dtype
        return not (dtype.is_floating_point or dtype.is_complex) and str(dtype) != "torch.bool"
    kind = getattr(dtype, "kind", None)
    return kind in ("i", "u")


def integer_array(name: str, value, *, ndim: int | None = None):
    """An array of an integer dtype (positions, relative positions), optionally of a fixed rank."""
    dtype = getattr(value, "dtype", None)
    if dtype is None or not hasattr(value, "shape"):
        raise TypeError(f"{name} must be an integer array, got {type(value).__name__}")
    if not _dtype_is_integer(dtype):
        raise TypeError(f"{name} must be an integer array, got dtype {dtype}")
    if ndim is not None and len(value.shape) != ndim:
        raise ValueError(f"{name} must be a {ndim}-D integer array, got shape {tuple(value.shape)}")
    return value


def float_array(name: str, value, *, min_ndim: int):
    dtype = getattr(value, "dtype", None)
    if dtype is None or not hasattr(value, "shape"):
        raise TypeError(f"{name} must be a floating-point array, got {type(value).__name__}")
    is_float = dtype.is_floating_point if hasattr(dtype, "is_floating_point") else getattr(dtype, "kind", "") == "f" or str(dtype) == "bfloat16"
    if not is_float:
        raise TypeError(f"{name} must be a floating-point array, got dtype {dtype}")
    if len(value.shape) < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions, got shape {tuple(value.shape)}")
    return value


# --- per-op argument sets -------------------------------------------------------------------------

def sinusoidal_args(positions, dim, base_, layout_):
    integer_array("positions", positions, ndim=1)
    return even_dim("dim", dim), base(base_), layout(layout_, SINUSOIDAL_LAYOUTS)


def scaled_rope_frequencies_args(rotary_dim_, base_, scaling_, seq_len):
    """Returns (rotary_dim, base, normalised scaling config or None)."""
    dim = even_dim("rotary_dim", rotary_dim_)
    return dim, base(base_), rope_parameters.normalise(scaling_, dim, seq_len)


def rope_frequencies_args(rotary_dim_, base_, scaling_, seq_len):
    """As :func:`scaled_rope_frequencies_args` for plain RoPE: returns (rotary_dim, base)."""
    dim, b, config = scaled_rope_frequencies_args(rotary_dim_, base_, scaling_, seq_len)
    _unscaled_only(config)
    return dim, b


def scaled_rope_apply_args(x, positions, base_, layout_, rotary_dim_, scaling_, seq_len, *, multi_axis=False):
    """Returns (head_dim, rotary_dim, base, scaling config or None); x ``[..., seq, head_dim]``, positions ``[seq]``,
    or ``[3, seq]`` (rows t, h, w) with a ``scaling['mrope_section']``. A valid multi-axis case raises
    ``NotImplementedError`` ("not provided") unless the caller implements it (``multi_axis=True``)."""
    float_array("x", x, min_ndim=2)
    integer_array("positions", positions)
    if len(positions.shape) not in (1, 2) or (len(positions.shape) == 2 and positions.shape[0] != 3):
        raise ValueError(f"positions must be [seq] or [3, seq] (rows t, h, w), got shape {tuple(positions.shape)}")
    head_dim = even_dim("x.shape[-1] (head_dim)", x.shape[-1])
    if positions.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"positions must have length x.shape[-2] = {x.shape[-2]} (one position per sequence element), "
            f"got {positions.shape[-1]}"
        )
    rd = rotary_dim(rotary_dim_, head_dim)
    b = base(base_)
    layout(layout_, HALF_LAYOUTS)
    config = rope_parameters.normalise(scaling_, rd, seq_len)
    if len(positions.shape) == 2 and (config is None or config["mrope_section"] is None):
        raise ValueError("positions of shape [3, seq] need scaling['mrope_section'] (which pairs follow which row)")
    if not multi_axis and config is not None and config["mrope_section"] is not None:
        raise NotImplementedError("multi-axis RoPE (scaling['mrope_section']) is not implemented")
    return head_dim, rd, b, config


MROPE_SEGMENTS = ("text", "image", "video")


def mrope_positions_args(segments, spatial_merge_size, tokens_per_second):
    """Returns (segments as tuples (kind, length or (T, H, W), seconds_per_grid or None), m, tokens_per_second or None)."""
    m = integer("spatial_merge_size", spatial_merge_size, minimum=1)
    tps = None if tokens_per_second is None else positive_real("tokens_per_second", tokens_per_second)
    if isinstance(segments, (str, bytes)) or not hasattr(segments, "__iter__"):
        raise TypeError(f"segments must be a sequence of ('text', length), ('image', (T, H, W)) or ('video', (T, H, W), "
                        f"seconds_per_grid), got {type(segments).__name__}")
    out = []
    for i, segment in enumerate(segments):
        name = f"segments[{i}]"
        if not isinstance(segment, (tuple, list)) or not segment or segment[0] not in MROPE_SEGMENTS:
            raise ValueError(f"{name} must start with one of {MROPE_SEGMENTS}, got {segment!r}")
        kind, expected = segment[0], {"text": 2, "image": 2, "video": 3}[segment[0]]
        if len(segment) != expected:
            raise ValueError(f"{name}: a {kind} segment has {expected} entries, got {segment!r}")
        if kind == "text":
            out.append((kind, integer(f"{name}[1] (text length)", segment[1], minimum=1), None))
            continue
        grid = segment[1]
        if not isinstance(grid, (tuple, list)) or len(grid) != 3:
            raise TypeError(f"{name}[1] must be a grid (T, H, W) of patches, got {grid!r}")
        t, h, w = (integer(f"{name}[1][{j}]", v, minimum=1) for j, v in enumerate(grid))
        if h % m or w % m:
            raise ValueError(f"{name}[1]: H and W must be multiples of spatial_merge_size = {m}, got {(t, h, w)}")
        seconds = positive_real(f"{name}[2] (seconds_per_grid)", segment[2]) if kind == "video" else None
        out.append((kind, (t, h, w), seconds))
    if not out:
        raise ValueError("segments must not be empty")
    return out, m, tps


def axial_rope_apply_args(x, positions, base_, layout_):
    """Returns (head_dim, base, layout); x ``[..., seq, head_dim]`` with head_dim % 4 = 0, positions ``[2, seq]`` (h, w)."""
    float_array("x", x, min_ndim=2)
    integer_array("positions", positions, ndim=2)
    if positions.shape[0] != 2 or positions.shape[1] != x.shape[-2]:
        raise ValueError(f"positions must be [2, seq] (rows h, w) with seq = x.shape[-2] = {x.shape[-2]}, "
                         f"got shape {tuple(positions.shape)}")
    head_dim = x.shape[-1]
    if head_dim < 4 or head_dim % 4:
        raise ValueError(f"x.shape[-1] (head_dim) must be a multiple of 4 (two axes of pairs), got {head_dim}")
    return head_dim, base(base_), layout(layout_, HALF_LAYOUTS)


def rope_apply_args(x, positions, base_, layout_, rotary_dim_, scaling_, seq_len):
    """As :func:`scaled_rope_apply_args` for plain RoPE: returns (head_dim, rotary_dim, base)."""
    head_dim, rd, b, config = scaled_rope_apply_args(x, positions, base_, layout_, rotary_dim_, scaling_, seq_len)
    _unscaled_only(config)
    return head_dim, rd, b


def alibi_bias_args(num_heads, q_len, k_len, causal):
    integer("num_heads", num_heads, minimum=1)
    integer("q_len", q_len, minimum=0)
    integer("k_len", k_len, minimum=0)
    if not isinstance(causal, bool):
        raise TypeError(f"causal must be a bool, got {causal!r}")
    if causal and q_len > k_len:
        raise ValueError(f"q_len must be <= k_len={k_len} when causal=True (queries are the last q_len keys), got {q_len}")


def t5_bucket_args(relative_position, bidirectional, num_buckets, max_distance):
    integer_array("relative_position", relative_position)
    if not isinstance(bidirectional, bool):
        raise TypeError(f"bidirectional must be a bool, got {bidirectional!r}")
    # Bidirectional halves the buckets and max_exact = half // 2 must be >= 1 for the log region.
    minimum = 4 if bidirectional else 2
    buckets = integer("num_buckets", num_buckets, minimum=minimum)
    max_exact = (buckets // 2 if bidirectional else buckets) // 2
    integer("max_distance", max_distance, minimum=max_exact + 1)
    return buckets, max_exact


def learned_absolute_args(table, positions):
    float_array("table", table, min_ndim=2)
    if len(table.shape) != 2:
        raise ValueError(f"table must be 2-D [num_positions, dim], got shape {tuple(table.shape)}")
    integer_array("positions", positions, ndim=1)
    n = table.shape[0]
    if positions.shape[0] and (int(positions.min()) < 0 or int(positions.max()) >= n):
        raise ValueError(
            f"positions must lie in [0, {n - 1}] (the table has {n} rows), "
            f"got values in [{int(positions.min())}, {int(positions.max())}]"
        )


XPOS_ROLES = ("query", "key")


def positive_real(name: str, value) -> float:
    """A finite real number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a finite real number > 0, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite real number > 0, got {value}")
    return float(value)


def xpos_apply_args(x, positions, role, base_, layout_, scale_base):
    """Returns (head_dim, role, base, layout, scale_base); x ``[..., seq, head_dim]``, positions ``[seq]``."""
    head_dim, _, b, _ = scaled_rope_apply_args(x, positions, base_, layout_, None, None, None)
    if role not in XPOS_ROLES:
        raise ValueError(f"role must be one of {XPOS_ROLES} (queries are scaled by ζ^(m/B), keys by ζ^(−m/B)), got {role!r}")
    return head_dim, role, b, layout_, positive_real("scale_base", scale_base)


def attention_scale_args(positions, head_dim, scaling_, softmax_mscale, temperature):
    """Returns (head_dim, scaling config or None, softmax_mscale, (attn_scale, floor_scale) or None)."""
    integer_array("positions", positions, ndim=1)
    dim = integer("head_dim", head_dim, minimum=1)
    config = rope_parameters.normalise(scaling_, 2 * max(dim // 2, 1), None)
    if not isinstance(softmax_mscale, bool):
        raise TypeError(f"softmax_mscale must be a bool, got {softmax_mscale!r}")
    if temperature is None:
        return dim, config, softmax_mscale, None
    if not isinstance(temperature, dict):
        raise TypeError(f"temperature must be None or a dict {{'attn_scale': a, 'floor_scale': F}}, got {type(temperature).__name__}")
    unknown = sorted(set(temperature) - {"attn_scale", "floor_scale"})
    if unknown:
        raise ValueError(f"temperature[{unknown[0]!r}] is not a key of temperature; allowed: ['attn_scale', 'floor_scale']")
    for key in ("attn_scale", "floor_scale"):
        if key not in temperature:
            raise ValueError(f"temperature[{key!r}] is required (Llama 4 ships attn_scale 0.1, floor_scale 8192)")
    attn = temperature["attn_scale"]
    if isinstance(attn, bool) or not isinstance(attn, numbers.Real) or not math.isfinite(attn):
        raise TypeError(f"temperature['attn_scale'] must be a finite real number >= 0, got {attn!r}")
    if attn < 0:
        raise ValueError(f"temperature['attn_scale'] must be a finite real number >= 0, got {attn}")
    return dim, config, softmax_mscale, (float(attn), integer("temperature['floor_scale']", temperature["floor_scale"], minimum=1))


# --- attention ------------------------------------------------------------------------------------

ATTENTION_BIASES = ("alibi", "t5")
T5_KEYS = ("bidirectional", "num_buckets", "max_distance")


@dataclass(frozen=True)
class AttentionArgs:
    """The validated shape and options of an ``attention`` call (``spec.protocol.attention``).

    ``bias`` is ``None``, ``"alibi"``, ``"t5"`` or ``"array"`` (an additive array); ``t5`` is
    ``(bidirectional, num_buckets, max_distance)`` for ``"t5"``, else None; ``groups`` = heads // kv_heads
    (query head h reads KV head h // groups).
    """

    batch: int
    heads: int
    kv_heads: int
    q_len: int
    k_len: int
    head_dim: int
    value_dim: int
    scale: float
    causal: bool
    bias: str | None
    t5: tuple[bool, int, int] | None

    @property
    def groups(self) -> int:
        return self.heads // self.kv_heads


def _shape4(name: str, value, what: str):
    float_array(name, value, min_ndim=4)
    if len(value.shape) != 4:
        raise ValueError(f"{name} must be 4-D [{what}], got shape {tuple(value.shape)}")
    return tuple(int(n) for n in value.shape)


def attention_args(q, k, v, scale, causal, bias, slopes, q_positions, k_positions, t5_table, t5):
    """Returns :class:`AttentionArgs`. q ``[batch, heads, L, D]``, k ``[batch, kv_heads, S, D]``, v ``[batch, kv_heads,
    S, Dv]`` of one floating dtype, heads a multiple of kv_heads; positions 1-D integer arrays of lengths L and S;
    ``slopes`` ``[heads]`` with ``bias="alibi"`` only; ``t5_table`` ``[num_buckets, heads]`` (and ``t5``, a dict of
    t5_bucket's keyword arguments) with ``bias="t5"`` only; an array ``bias`` ``[heads or 1, L, S]`` or
    ``[batch or 1, heads or 1, L, S]``."""
    batch, heads, q_len, head_dim = _shape4("q", q, "batch, heads, q_len, head_dim")
    k_shape = _shape4("k", k, "batch, kv_heads, k_len, head_dim")
    v_shape = _shape4("v", v, "batch, kv_heads, k_len, value_dim")
    for name, array in (("k", k), ("v", v)):
        if array.dtype != q.dtype:
            raise TypeError(f"{name} must have q's dtype {q.dtype}, got {array.dtype}")
    kv_heads, k_len = k_shape[1], k_shape[2]
    if k_shape[0] != batch or v_shape[0] != batch:
        raise ValueError(f"k and v must have q's batch size {batch}, got {k_shape[0]} and {v_shape[0]}")
    if k_shape[3] != head_dim:
        raise ValueError(f"k must have q's head_dim {head_dim} (k.shape[3]), got {k_shape[3]}")
    if v_shape[1:3] != (kv_heads, k_len):
        raise ValueError(f"v must be [batch, kv_heads={kv_heads}, k_len={k_len}, value_dim] like k, got shape {v_shape}")
    integer("q.shape[3] (head_dim)", head_dim, minimum=1)
    integer("v.shape[3] (value_dim)", v_shape[3], minimum=1)
    integer("q.shape[1] (heads)", heads, minimum=1)
    integer("k.shape[1] (kv_heads)", kv_heads, minimum=1)
    if heads % kv_heads:
        raise ValueError(f"k.shape[1] (kv_heads) must divide q.shape[1] (heads) = {heads} (grouped-query attention), "
                         f"got {kv_heads}")
    scale = 1 / math.sqrt(head_dim) if scale is None else positive_real("scale", scale)
    if not isinstance(causal, bool):
        raise TypeError(f"causal must be a bool, got {causal!r}")
    for name, positions, length in (("q_positions", q_positions, q_len), ("k_positions", k_positions, k_len)):
        if positions is None:
            continue
        integer_array(name, positions, ndim=1)
        if positions.shape[0] != length:
            raise ValueError(f"{name} must have length {length} (one position per {'query' if name[0] == 'q' else 'key'}), "
                             f"got {positions.shape[0]}")
    if isinstance(bias, str):
        if bias not in ATTENTION_BIASES:
            raise ValueError(f"bias must be None, one of {ATTENTION_BIASES} or an additive float array, got {bias!r}")
        kind = bias
    elif bias is None:
        kind = None
    else:
        float_array("bias", bias, min_ndim=3)
        shape = tuple(int(n) for n in bias.shape)
        expected = f"[heads or 1, {q_len}, {k_len}] or [batch or 1, heads or 1, {q_len}, {k_len}]"
        if len(shape) > 4 or shape[-2:] != (q_len, k_len) or shape[-3] not in (1, heads) or (len(shape) == 4 and shape[0] not in (1, batch)):
            raise ValueError(f"bias must be an additive array {expected}, got shape {shape}")
        kind = "array"
    if slopes is not None:
        if kind != "alibi":
            raise ValueError(f"slopes is used with bias='alibi' only, got bias={bias if isinstance(bias, str) or bias is None else 'an array'!r}")
        float_array("slopes", slopes, min_ndim=1)
        if tuple(slopes.shape) != (heads,):
            raise ValueError(f"slopes must be 1-D [heads={heads}], got shape {tuple(slopes.shape)}")
    if kind != "t5":
        for name, value in (("t5_table", t5_table), ("t5", t5)):
            if value is not None:
                raise ValueError(f"{name} is used with bias='t5' only")
        return AttentionArgs(batch, heads, kv_heads, q_len, k_len, head_dim, v_shape[3], scale, causal, kind, None)
    if t5_table is None:
        raise ValueError("t5_table is required with bias='t5': [num_buckets, heads], the learned bias per bucket and head")
    float_array("t5_table", t5_table, min_ndim=2)
    if len(t5_table.shape) != 2 or int(t5_table.shape[1]) != heads:
        raise ValueError(f"t5_table must be 2-D [num_buckets, heads={heads}], got shape {tuple(t5_table.shape)}")
    if t5 is None:
        t5 = {}
    if not isinstance(t5, dict):
        raise TypeError(f"t5 must be None or a dict of t5_bucket's keyword arguments {T5_KEYS}, got {type(t5).__name__}")
    unknown = sorted(set(t5) - set(T5_KEYS))
    if unknown:
        raise ValueError(f"t5[{unknown[0]!r}] is not a key of t5; allowed: {list(T5_KEYS)}")
    buckets = int(t5_table.shape[0])
    if t5.get("num_buckets", buckets) != buckets:
        raise ValueError(f"t5['num_buckets'] must equal t5_table.shape[0] = {buckets}, got {t5['num_buckets']!r}")
    bidirectional, max_distance = t5.get("bidirectional", True), t5.get("max_distance", 128)
    if not isinstance(bidirectional, bool):
        raise TypeError(f"t5['bidirectional'] must be a bool, got {bidirectional!r}")
    # as t5_bucket_args: bidirectional halves the buckets, and max_exact = half // 2 must be >= 1
    integer("t5_table.shape[0] (num_buckets)", buckets, minimum=4 if bidirectional else 2)
    max_exact = (buckets // 2 if bidirectional else buckets) // 2
    integer("t5['max_distance']", max_distance, minimum=max_exact + 1)
    return AttentionArgs(batch, heads, kv_heads, q_len, k_len, head_dim, v_shape[3], scale, causal, kind,
                         (bidirectional, buckets, int(max_distance)))
