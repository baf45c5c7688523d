"""Hypothesis strategies for the property tests.

Shapes, bases and positions are drawn by Hypothesis (so they shrink to small, readable cases);
bulk float data comes from a NumPy generator seeded by a drawn integer (drawing thousands of floats
one by one would dominate the run time) and scaled by a drawn power of two. One example always
checks a whole vector of positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

from spec.rope_parameters import ROPE_TYPES
from spec.targets import numpy_dtype

#: Positions reach past 2^20 (the issue's horizon); the default strategy mixes in small ones.
MAX_POSITION = 2**21 + 3
COMMON_BASES = (10000.0, 500000.0, 1000000.0, 10.0, 1e7)


@cache
def bases():
    """10 … 10^7: the usual values and a log-uniform grid of 601 others (cheaper to draw than floats)."""
    return st.one_of(st.sampled_from(COMMON_BASES), st.integers(100, 700).map(lambda k: float(10.0 ** (k / 100))))


#: The ``MAX_POSITION`` the running test's target declares for its op (``None``: unlimited); conftest sets it.
POSITION_LIMIT: dict[str, int | None] = {"value": None}


def within_limit(value: int) -> int:
    """Fold a drawn position or shift into [0, limit/2], so that a position plus a shift stays ≤ limit.

    A table-based target (torchtune's cache, a model's sinusoid table) declares the largest position
    it supports; folding keeps the draw deterministic and its small values unchanged.
    """
    limit = POSITION_LIMIT["value"]
    return value if limit is None or value <= limit // 2 else value % (limit // 2 + 1)


@cache
def positions(max_len: int = 12, max_position: int = MAX_POSITION, min_len: int = 1):
    """A 1-D int64 array of positions in [0, max_position], small ones over-represented."""
    elements = st.one_of(st.integers(0, min(64, max_position)), st.integers(0, max_position)).map(within_limit)
    return hnp.arrays(np.int64, st.integers(min_len, max_len), elements=elements)


@cache
def shifts(low: int = 1, high: int = 2**20):
    """A shift t added to positions (negative ones are kept as drawn: they move positions down)."""
    return st.integers(low, high).map(lambda t: t if t <= 0 else max(1, within_limit(t)))


def even_dims(max_dim: int = 256):
    return even_between(1, max_dim // 2)


@cache
def even_between(low: int, high: int):
    """2h for h in [low, high]."""
    return st.integers(low, high).map(lambda h: 2 * h)


@cache
def sampled(values: tuple):
    return st.sampled_from(values)


# Drawn once per case: built once (a strategy built inside a composite is built and validated on every draw).
BATCHES = st.integers(1, 2)
SEEDS = st.integers(0, 2**32 - 1)
SCALE_EXPONENTS = st.integers(-4, 4)


def exactly_in(values: np.ndarray, dtype: str) -> np.ndarray:
    """``values`` rounded to ``dtype`` and back to float64: the input a target really receives."""
    return np.asarray(values, np.float64).astype(numpy_dtype(dtype)).astype(np.float64)


@dataclass(frozen=True)
class RopeCase:
    """One RoPE configuration and a seed for its data; ``vectors`` draws x of shape [batch, seq, head_dim]."""

    head_dim: int
    rotary_dim: int
    base: float
    layout: str
    positions: np.ndarray
    batch: int
    seed: int
    scale_exponent: int
    scaling: dict | None = None
    seq_len: int | None = None

    def vectors(self, dtype: str, stream: int = 0, seq: int | None = None) -> np.ndarray:
        rng = np.random.default_rng([self.seed, stream])
        shape = (self.batch, len(self.positions) if seq is None else seq, self.head_dim)
        return exactly_in(rng.standard_normal(shape) * 2.0**self.scale_exponent, dtype)


@st.composite
def rope_cases(draw, max_dim: int = 256, partial: bool = True, max_len: int = 12, max_position: int = MAX_POSITION,
               min_dim: int = 2, layouts: tuple[str, ...] = ("half",)):
    """A RoPE case; the layout is drawn from ``layouts`` (tests of one layout parametrize it instead)."""
    head_dim = draw(even_between(min_dim // 2, max_dim // 2))
    rotary_dim = draw(even_between(min_dim // 2, head_dim // 2)) if partial else head_dim
    return RopeCase(
        head_dim=head_dim,
        rotary_dim=rotary_dim,
        base=draw(bases()),
        layout=draw(sampled(layouts)),
        positions=draw(positions(max_len=max_len, max_position=max_position)),
        batch=draw(BATCHES),
        seed=draw(SEEDS),
        scale_exponent=draw(SCALE_EXPONENTS),
    )


#: Both layouts, drawn per case: a target offering one is checked on it (the other's cases are discarded).
BOTH_LAYOUTS = ("half", "interleaved")
SCALED_TYPES = tuple(rope_type for rope_type in ROPE_TYPES if rope_type != "default")


@cache
def log_uniform(low: float, high: float):
    """A log-uniform grid of 201 values in [low, high] (cheap to draw, shrinks towards ``low``)."""
    return st.integers(0, 200).map(lambda k: float(low * (high / low) ** (k / 200)))


def present_or_absent(draw, config: dict, key: str, values) -> None:
    """Draw whether ``key`` is written (a value from ``values``) or left out, so its default is checked too."""
    if draw(st.booleans(), label=f"{key} present"):
        config[key] = draw(values, label=key)


ORIGINAL_LENGTHS = st.one_of(st.sampled_from((2048, 4096, 8192)), st.integers(16, 131072))
FACTORS = st.one_of(st.just(1.0), log_uniform(1.0, 64.0), log_uniform(0.25, 1.0))


@cache
@st.composite
def scalings(draw, rope_type: str, rotary_dim: int, extensions: frozenset = frozenset()):
    """(scaling dict, seq_len) for one rope_type: required keys over their valid range, every optional key
    present (over its valid range) or absent (its default), and this suite's extension keys only when
    ``extensions`` (the target's declaration) names them."""
    original = draw(ORIGINAL_LENGTHS)
    seq_len = draw(st.one_of(st.none(), st.sampled_from((original, original + 1)), st.integers(1, 4 * original)))
    factor = draw(FACTORS)
    config = {"rope_type": rope_type}
    if rope_type in ("linear", "ntk"):
        config["factor"] = factor
    elif rope_type == "dynamic":
        config.update(factor=factor, original_max_position_embeddings=original)
    elif rope_type == "ntk_alpha":  # HunYuan ships α = 1000 with factor 1.0
        config["alpha"] = draw(st.one_of(st.just(1000.0), log_uniform(1.0, 1000.0)))
        present_or_absent(draw, config, "factor", st.just(1.0))
    elif rope_type == "yarn":
        config.update(factor=factor, original_max_position_embeddings=original)
        # beta_slow ≤ 4 < 32 (beta_fast's default) and beta_fast > 1 (beta_slow's default): any subset is valid.
        present_or_absent(draw, config, "beta_slow", log_uniform(0.25, 4.0))
        present_or_absent(draw, config, "beta_fast", log_uniform(1.0, 64.0).map(lambda gap: config.get("beta_slow", 1.0) + gap))
        present_or_absent(draw, config, "truncate", st.booleans())
        present_or_absent(draw, config, "attention_factor", log_uniform(0.5, 2.0))
        present_or_absent(draw, config, "mscale", st.sampled_from((0.707, 1.0, 0.5)))
        present_or_absent(draw, config, "mscale_all_dim", st.sampled_from((0.707, 1.0, 0.5)))
        present_or_absent(draw, config, "llama_4_scaling_beta", st.sampled_from((0.1, 0.0)))  # Ministral 3: inert here
        if "yarn.ramp" in extensions:
            present_or_absent(draw, config, "ramp", st.sampled_from(("index", "paper")))
    elif rope_type == "llama3":
        low = draw(log_uniform(0.5, 2.0))
        # An empty blend band (low = high, as Llama-4-Scout ships) is drawn as a case of its own.
        config.update(factor=factor, original_max_position_embeddings=original, low_freq_factor=low,
                      high_freq_factor=low + draw(st.one_of(st.just(0.0), log_uniform(0.5, 8.0))))
    elif rope_type == "longrope":
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        pairs = rotary_dim // 2
        config.update(factor=factor, original_max_position_embeddings=original,
                      short_factor=(1 + rng.random(pairs)).tolist(), long_factor=(1 + 63 * rng.random(pairs)).tolist())
        present_or_absent(draw, config, "attention_factor", log_uniform(0.5, 2.0))
    elif rope_type in ("seed_scale", "seed_power"):
        config["alpha"] = draw(log_uniform(0.25, 4.0))
    elif rope_type == "seed_polynomial":
        config.update(alpha=draw(log_uniform(0.05, 4.0)), beta=draw(log_uniform(0.25, 2.0)))
    elif rope_type == "proportional":  # Gemma 4 ships 0.25; R = int(p·d // 2) may be 0 (nothing rotates)
        present_or_absent(draw, config, "partial_rotary_factor", st.one_of(st.sampled_from((0.25, 0.5, 0.75, 1.0)),
                                                                           log_uniform(0.05, 1.0)))
        present_or_absent(draw, config, "factor", st.one_of(st.just(8.0), log_uniform(0.25, 64.0)))
    elif rope_type == "reverse_extrapolation":
        config["original_max_position_embeddings"] = original
    return config, seq_len
