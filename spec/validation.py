"""Validation of every op's arguments: one place, one wording.

Each check raises ``TypeError`` (wrong kind of value) or ``ValueError`` (right kind, outside the
allowed range) whose message starts with the parameter's name and states what is allowed. The
oracle in ``spec/`` and the implementations in ``impl/`` call these same checks, so a bad argument
reads the same everywhere. Arrays may be NumPy or torch; only ``.dtype``/``.shape`` are inspected.
"""

from __future__ import annotations

import math
import numbers

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
