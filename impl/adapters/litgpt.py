"""Target ``litgpt``: Lightning AI's litgpt RoPE (``litgpt.model.build_rope_cache``, ``apply_rope``).

What runs for each op, and the conventions this adapter converts:

* ``rope_apply``: ``build_rope_cache(seq_len, n_elem=rotary_dim, base=base, condense_ratio,
  extra_config)`` — float32 ``theta = 1 / base ** (arange(0, n_elem, 2) / n_elem)``, float32
  positions ``arange(seq_len) / condense_ratio``, float32 angles, cos/sin ``[seq_len, n_elem]``
  (each frequency twice: rotate_half's width) times litgpt's YaRN attention scaling — then, as
  ``GPT.forward`` does for ``input_pos``, the rows of the positions (``index_select``) with a batch
  dimension of 1. ``"half"``: ``apply_rope(x, cos, sin)`` (rotate_half; the products in the
  promoted dtype — float32 for float16/bfloat16 x, float64 for float64 x — cast back to x's dtype).
  ``"interleaved"``: ``apply_rope_interleave`` (DeepSeek-V3's convention, as Hugging Face's
  ``apply_rotary_pos_emb_interleave``): it de-interleaves x to [x0, x2, …, x1, x3, …], rotates
  halves, and returns the rotated lanes in that permuted order, which the adapter puts back in
  place (the inverse permutation; q·k is the same in either order, so litgpt never undoes it).
* Partial rotary: as ``CausalSelfAttention.forward`` does with ``rope_n_elem`` — the cache is built
  for ``n_elem = rotary_dim``, the first ``rotary_dim`` lanes go through ``apply_rope`` and the rest
  are concatenated back unchanged. (litgpt's MLA puts the rotated lanes last; not this convention.)
* x ``[..., seq, head_dim]`` is passed as ``[batch, seq, head_dim]`` (``apply_rope`` takes
  ``(B, …, T, hs)`` against a 3-D cos/sin) and reshaped back.
* Scaling, Hugging Face's keys renamed to litgpt's (``GPT.rope_cache`` builds the same dicts from a
  config's ``rope_adjustments``): ``linear`` with an integer factor s ≥ 1 → ``condense_ratio = s``
  (positions divided by s, the ``rope_condense_ratio`` of litgpt's configs, an int); other linear
  factors → ``extra_config = {"factor": s}`` (litgpt's "linear scaling fallback", θ/s).
  ``llama3`` → ``{factor, low_freq_factor, high_freq_factor, original_max_seq_len =
  original_max_position_embeddings}``. ``yarn`` → ``{factor, beta_fast, beta_slow,
  original_max_seq_len, truncate}`` plus ``mscale``/``mscale_all_dim`` when given; litgpt multiplies
  its attention scaling into cos/sin itself (the protocol's place). litgpt has no
  ``attention_factor`` key: an explicit one is not provided. ``llama_4_scaling_beta`` is a query
  temperature, inert for ``rope_apply``. Other rope_types: not provided.
* The cache holds positions ``0 … seq_len − 1``; the adapter builds it with ``seq_len`` the power of
  two above ``max(positions)`` and keeps the last few (the rows of a position do not depend on
  ``seq_len``), hence ``MAX_POSITION`` (2^17) to keep each cache small.
* ``rope_frequencies``: not provided — ``build_rope_cache`` returns only cos/sin; its ``theta`` is
  a local variable.
"""

from __future__ import annotations

import functools
import math
from importlib.metadata import version

from impl.adapters import require
from spec import validation

torch = require("torch")
require("litgpt.model", package="litgpt", extra="litgpt-torchtitan")
from litgpt.model import apply_rope, apply_rope_interleave, build_rope_cache

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16", "bfloat16")
VERSIONS = {"litgpt": version("litgpt")}
ROPE_TYPES = ("default", "linear", "llama3", "yarn")
#: The cache holds rows 0 … seq_len − 1 (float32, [seq_len, rotary_dim] each for cos and sin).
MAX_POSITION = {"rope_apply": 2**17}
_ROWS = MAX_POSITION["rope_apply"] + 1


def _litgpt_scaling(config: dict | None) -> tuple[int, dict | None]:
    """(condense_ratio, extra_config) for a normalised scaling config, in litgpt's names."""
    rope_type = "default" if config is None else config["rope_type"]
    if rope_type == "default":
        return 1, None
    if rope_type == "linear":
        factor = config["factor"]
        return (int(factor), None) if factor.is_integer() else (1, {"factor": factor})
    keys = {"factor": config["factor"], "original_max_seq_len": config["original_max_position_embeddings"]}
    if rope_type == "llama3":
        return 1, {**keys, "low_freq_factor": config["low_freq_factor"], "high_freq_factor": config["high_freq_factor"]}
    if rope_type != "yarn":
        raise NotImplementedError(f"rope_type {rope_type!r}: litgpt's scalers are linear, llama3 and yarn")
    if config["attention_factor"] is not None:
        raise NotImplementedError("litgpt's YaRN has no attention_factor: its scaling comes from mscale/mscale_all_dim")
    optional = {key: config[key] for key in ("mscale", "mscale_all_dim") if config[key] is not None}
    return 1, {**keys, "beta_fast": config["beta_fast"], "beta_slow": config["beta_slow"], "truncate": config["truncate"],
               **optional}


@functools.lru_cache(maxsize=4)
def _cache(rotary_dim: int, base: float, condense_ratio: int, frozen: tuple | None, seq_len: int):
    extra_config = None if frozen is None else dict(frozen)
    return build_rope_cache(seq_len, rotary_dim, base=base, condense_ratio=condense_ratio, extra_config=extra_config)


def _interleaved(x, cos, sin):
    """``apply_rope_interleave``, its output put back from [even lanes | odd lanes] to the input's order."""
    out = apply_rope_interleave(x, cos, sin)
    return out.unflatten(-1, (2, x.shape[-1] // 2)).transpose(-1, -2).flatten(-2)


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    head_dim, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    condense_ratio, extra_config = _litgpt_scaling(config)
    seq = x.shape[-2]
    last = int(positions.max()) if seq else 0
    rows = max(min(1 << last.bit_length(), _ROWS), last + 1)  # a power of two > last, or up to MAX_POSITION
    frozen = None if extra_config is None else tuple(sorted(extra_config.items()))
    cos, sin = _cache(rd, base, condense_ratio, frozen, rows)
    index = positions.to(torch.int64)
    cos, sin = cos.index_select(0, index)[None], sin.index_select(0, index)[None]
    batched = x.reshape(math.prod(x.shape[:-2]), seq, head_dim)
    with torch.no_grad():
        rotated = (apply_rope if layout == "half" else _interleaved)(batched[..., :rd], cos, sin)
    return torch.cat((rotated, batched[..., rd:]), dim=-1).reshape(x.shape)
