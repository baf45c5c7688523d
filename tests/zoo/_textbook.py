"""The correct textbook pieces that zoo members share, in plain NumPy (not a zoo member itself).

Each member is "this textbook, except one line": it calls these pieces and writes its bug in its own code.
Arguments are validated by the member (``spec.validation``) before any piece is called.
"""

import numpy as np

# --- sinusoidal and RoPE ----------------------------------------------------------------------------

def angle_dtype(x):
    """The dtype RoPE angles are computed in for x: float64 for float64 x, else float32."""
    return np.float64 if x.dtype == np.float64 else np.float32


def inv_freq(dim, base, dtype):
    """ω_i = base^(−2i/dim), i = 0 … dim/2 − 1, in ``dtype``."""
    return 1.0 / np.asarray(base, dtype=dtype) ** (np.arange(0, dim, 2, dtype=dtype) / dim)


def angles(positions, inv_freq):
    """``[len(positions), len(inv_freq)]`` angles p·ω_i, in the dtype of inv_freq."""
    return positions.astype(inv_freq.dtype)[:, None] * inv_freq[None, :]


def cos_sin(angles, dtype):
    """cos and sin of the angles, cast to ``dtype``."""
    return np.cos(angles).astype(dtype), np.sin(angles).astype(dtype)


def rope_cos_sin(x, positions, base, rotary_dim):
    """The RoPE cos/sin cache for x: angles in ``angle_dtype(x)``, cast to x's dtype."""
    return cos_sin(angles(positions, inv_freq(rotary_dim, base, angle_dtype(x))), x.dtype)


def pair_slices(layout, rotary_dim):
    """The (first, second) coordinates of each rotated pair: (i, i + rd/2) for "half", (2i, 2i+1) for "interleaved"."""
    if layout == "half":
        return slice(0, rotary_dim // 2), slice(rotary_dim // 2, rotary_dim)
    return slice(0, rotary_dim, 2), slice(1, rotary_dim, 2)


def rotate(x, cos, sin, layout, rotary_dim):
    """R(m)x as a new array: each pair (x1, x2) → (x1·cos − x2·sin, x2·cos + x1·sin); dims past rotary_dim copied."""
    first, second = pair_slices(layout, rotary_dim)
    x1, x2 = x[..., first], x[..., second]
    out = x.copy()
    out[..., first] = x1 * cos - x2 * sin
    out[..., second] = x2 * cos + x1 * sin
    return out


def table(first, second, layout):
    """Sinusoidal table from its two halves: [first | second] for "concat", alternating columns for "interleaved"."""
    if layout == "concat":
        return np.concatenate([first, second], axis=-1)
    return np.stack([first, second], axis=-1).reshape(len(first), 2 * first.shape[-1])


# --- multi-axis RoPE ------------------------------------------------------------------------------

def mrope_rows(positions):
    """Positions as the three rows (t, h, w): ``[seq]`` positions repeated."""
    return np.broadcast_to(positions, (3, positions.shape[-1]))


def rotate_by_pair_positions(x, pair_positions, base, layout, rotary_dim):
    """RoPE with each pair at its own position ``[seq, pairs]`` (angles in ``angle_dtype(x)``)."""
    theta = inv_freq(rotary_dim, base, angle_dtype(x))
    angles_ = pair_positions.astype(theta.dtype) * theta[None, :]
    return rotate(x, *cos_sin(angles_, x.dtype), layout, rotary_dim)


def mrope_apply(axes_of, *, rows_of=mrope_rows, lanes_of=lambda config, layout: layout):
    """A protocol ``rope_apply`` for plain and multi-axis RoPE (rope_type "default" only) whose M-RoPE pieces are the
    member's: ``axes_of(config, pairs)`` the row of each pair, ``rows_of(positions)`` the three rows, ``lanes_of(config,
    layout)`` the lane pairing."""
    from spec import validation

    def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
        _, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len,
                                                                multi_axis=True)
        if config is not None and config["rope_type"] != "default":
            raise NotImplementedError("plain RoPE only")
        if config is None or config["mrope_section"] is None:
            return rotate_by_pair_positions(x, positions[:, None].repeat(rd // 2, 1), base, layout, rd)
        rows = np.asarray(rows_of(positions))
        pair_positions = rows[np.asarray(axes_of(config, rd // 2)), :].T
        return rotate_by_pair_positions(x, pair_positions, base, lanes_of(config, layout), rd)

    return rope_apply


def mrope_segment_start(rows, segment, merge):
    """Where the segment after ``rows`` starts: one past their largest entry (Qwen's reference code)."""
    return int(rows.max()) + 1


def mrope_frame_offsets(frames, interval):
    """⌊k·interval⌋ for each frame k (interval a float: the drawn ones multiply exactly)."""
    return np.floor(np.arange(frames) * interval).astype(np.int64)


def mrope_positions_with(start_of=mrope_segment_start, frame_offsets=mrope_frame_offsets, merged=True):
    """A protocol ``mrope_positions`` whose pieces are the member's: ``start_of(rows, segment, merge)`` the next segment's
    start, ``frame_offsets(frames, interval)`` a video's time offsets, ``merged`` whether h/w count merged tokens."""
    from spec import validation

    def mrope_positions(segments, *, spatial_merge_size=2, tokens_per_second=None):
        segments, merge, tps = validation.mrope_positions_args(segments, spatial_merge_size, tokens_per_second)
        pieces, start = [], 0
        for kind, size, seconds in segments:
            if kind == "text":
                piece = np.repeat(start + np.arange(size)[None], 3, 0)
            else:
                frames, height, width = size[0], size[1] // merge, size[2] // merge
                interval = 1.0 if kind == "image" or tps is None else tps * seconds
                t, h, w = np.meshgrid(frame_offsets(frames, interval), np.arange(height), np.arange(width), indexing="ij")
                scale = 1 if merged else merge
                piece = start + np.stack([t.ravel(), scale * h.ravel(), scale * w.ravel()])
            pieces.append(piece.astype(np.int64))
            start = start_of(piece, (kind, size, seconds), merge) if kind != "text" else int(piece.max()) + 1
        return np.concatenate(pieces, axis=1)

    return mrope_positions


# --- axial (2-D vision) RoPE ------------------------------------------------------------------------

def axial_pair_positions(positions, head_dim):
    """``[seq, head_dim/2]``: row h on the first head_dim/4 pairs, row w on the rest."""
    return np.repeat(positions, head_dim // 4, axis=0).T


def axial_ladder(head_dim, base, dtype):
    """Each axis's ladder over half the head, ω_k = base^(−2k/(d/2)), for the h block then the w block."""
    return np.tile(inv_freq(head_dim // 2, base, dtype), 2)


def axial_apply(pair_positions_of=axial_pair_positions, ladder_of=axial_ladder):
    """A protocol ``axial_rope_apply`` whose pieces are the member's: ``pair_positions_of(positions, head_dim)`` each
    pair's position, ``ladder_of(head_dim, base, dtype)`` each pair's frequency."""
    from spec import validation

    def axial_rope_apply(x, positions, *, base=10000.0, layout="half"):
        head_dim, base, layout = validation.axial_rope_apply_args(x, positions, base, layout)
        theta = ladder_of(head_dim, base, angle_dtype(x))
        angles_ = np.asarray(pair_positions_of(positions, head_dim)).astype(theta.dtype) * theta[None, :]
        return rotate(x, *cos_sin(angles_, x.dtype), layout, head_dim)

    return axial_rope_apply


# --- xPos ----------------------------------------------------------------------------------------

def xpos_zeta(head_dim):
    """ζ_i = (2i/d + 0.4)/1.4, i = 0 … d/2 − 1, in float64."""
    return (np.arange(0, head_dim, 2) / head_dim + 0.4) / 1.4


def xpos_scale(zeta, positions, scale_base, role):
    """ζ_i^(m/B) for queries, ζ_i^(−m/B) for keys: ``[len(positions), d/2]`` in float64."""
    power = positions.astype(np.float64)[:, None] / scale_base
    return zeta[None, :] ** (power if role == "query" else -power)


def xpos_rotate(x, positions, base, layout, scale):
    """scale ⊙ R(m)x: RoPE's rotation (angles in ``angle_dtype(x)``) with cos/sin multiplied by ``scale``."""
    d = x.shape[-1]
    angles_ = angles(positions, inv_freq(d, base, angle_dtype(x))).astype(np.float64)
    work = np.float64 if x.dtype == np.float64 else np.float32
    rotated = rotate(x.astype(work), (np.cos(angles_) * scale).astype(work), (np.sin(angles_) * scale).astype(work), layout, d)
    return rotated.astype(x.dtype)


# --- attention scale ------------------------------------------------------------------------------

def softmax_scale(head_dim, config, softmax_mscale):
    """1/√D, times DeepSeek's mscale(s, mscale_all_dim)² when asked for (a Python float)."""
    scale = head_dim**-0.5
    if softmax_mscale and config and config["rope_type"] == "yarn" and config["mscale_all_dim"] and config["factor"] > 1:
        scale *= (0.1 * config["mscale_all_dim"] * np.log(config["factor"]) + 1.0) ** 2
    return scale


def temperature(positions, slope, period, shift):
    """1 + a·ln(1 + ⌊(m + c)/F⌋) per position (float64; exact floors for integer m)."""
    return 1 + slope * np.log1p((positions.astype(np.int64) + shift) // period)


def attention_scale(positions, scale, config, temperature_, *, llama4_shift=1, ministral_shift=0):
    """``scale`` times Ministral 3's temperature (``llama_4_scaling_beta``) and Llama 4's (``temperature_``)."""
    out = np.full(positions.shape, scale)
    if config and config.get("llama_4_scaling_beta") is not None:
        out = out * temperature(positions, config["llama_4_scaling_beta"], config["original_max_position_embeddings"],
                                ministral_shift)
    if temperature_ is not None:
        out = out * temperature(positions, temperature_[0], temperature_[1], llama4_shift)
    return out


# --- ALiBi ----------------------------------------------------------------------------------------

def series(n):
    """The geometric slopes 2^(−8h/n), h = 1 … n (all of ALiBi's slopes when n is a power of two)."""
    return 2.0 ** (-8.0 * np.arange(1, n + 1) / n)


def slopes(n, series=series):
    """ALiBi slopes: ``series(p)`` for the largest power of two p ≤ n, then every other slope of ``series(2p)``."""
    p = 1 << (n.bit_length() - 1)
    return np.concatenate([series(p), series(2 * p)[0::2][: n - p]])


def distance(q_len, k_len):
    """i − j as float64 ``[q_len, k_len]``, query i at absolute position k_len − q_len + i."""
    queries = np.arange(k_len - q_len, k_len)
    return (queries[:, None] - np.arange(k_len)[None, :]).astype(np.float64)


def bias_from_distance(slopes, distance, causal, *, visible=np.greater_equal):
    """``[heads, q, k]``: −m·|i−j| if not causal; else −m·(i−j) where ``visible(i − j, 0)``, −inf elsewhere."""
    slopes = slopes[:, None, None]
    if not causal:
        return -slopes * np.abs(distance)
    return np.where(visible(distance, 0), -slopes * distance, -np.inf)


# --- T5 -------------------------------------------------------------------------------------------

def log_bucket(max_exact, steps, buckets):
    """The log-region bucket: max_exact + ⌊steps⌋, capped at the last bucket."""
    return np.minimum(max_exact + steps.astype(np.int64), buckets - 1)


def bucket(relative_position, bidirectional, buckets, max_distance, *, exact=lambda buckets: buckets // 2,
           log_bucket=log_bucket):
    """The mesh-tensorflow bucket of ``relative_position`` (key − query) among ``buckets`` (validated num_buckets).

    ``exact(buckets)`` gives max_exact from the buckets left for one sign; ``log_bucket(max_exact, steps, buckets)``
    turns the fractional log-region coordinate ``steps`` into a bucket.
    """
    rel = np.asarray(relative_position, dtype=np.int64)
    if bidirectional:
        buckets //= 2
        offset = np.where(rel > 0, buckets, 0)
        n = np.abs(rel)
    else:
        offset = np.zeros_like(rel)
        n = np.maximum(-rel, 0)
    max_exact = exact(buckets)
    steps = np.log(np.maximum(n, max_exact) / max_exact) / np.log(max_distance / max_exact) * (buckets - max_exact)
    return offset + np.where(n < max_exact, n, log_bucket(max_exact, steps, buckets))
