"""Target ``mlx-lm``: mlx-lm's RoPE factory ``initialize_rope`` and its scaler classes (``mlx_lm.models.rope_utils``).

Arrays cross as NumPy, converted as in the ``mlx`` target (:mod:`impl.adapters.mlx`, whose helpers this
module uses). What runs for each op, and the conventions this adapter converts:

* The module: ``initialize_rope(dims=rotary_dim, base, traditional=layout == "interleaved",
  scaling_config, max_position_embeddings)``, as mlx-lm's model files call it — ``nn.RoPE`` for
  ``default`` and ``linear`` (``scale = 1/factor``), ``DynamicNTKScalingRoPE``, ``Llama3RoPE``,
  ``YarnRoPE``, ``SuScaledRoPE`` (longrope), ``ProportionalRoPE``. ``ntk_alpha`` (HunYuan's fixed-alpha
  NTK, which ``initialize_rope`` does not route) is ``mlx_lm.models.hunyuan.DynamicNTKAlphaRoPE(dims,
  base, scaling_alpha=alpha)``.
* The scaling dict: mlx-lm reads Hugging Face's ``rope_parameters`` keys by their own names, so
  ``scaling_config`` is the normalised dict itself, less the keys whose value is None (an absent key:
  mlx-lm's ``key in scaling_config`` would pass None on) and the M-RoPE axis keys. Which keys each
  class reads is mlx-lm's choice: ``YarnRoPE`` gets factor, original_max_position_embeddings,
  beta_fast, beta_slow, mscale, mscale_all_dim (not ``attention_factor`` nor ``truncate``);
  ``SuScaledRoPE`` gets original_max_position_embeddings, short_factor, long_factor (not
  ``attention_factor``); both keys left unread are passed all the same, as a model config would.
  The one key with another spelling is the length, the ``max_position_embeddings`` argument:
  ``original_max_position_embeddings`` for ``dynamic`` (its L0: the length past which it grows) and
  ``factor·original_max_position_embeddings`` (a float) otherwise — ``SuScaledRoPE`` derives its
  factor as ``max_position_embeddings / original_max_position_embeddings``; the other classes do not
  read it.
* ``rope_apply``: the module's ``__call__(a, offset)`` with x as ``(seq, batch, 1, head_dim)`` and one
  offset per row, ``offset = positions`` (the ``mlx`` target's layout: mlx's per-row offset gives
  arbitrary positions). Every class passes ``offset`` straight to ``mx.fast.rope`` except
  ``DynamicNTKScalingRoPE``, which derives its length from the call, ``max(a.shape[-2] + offset,
  max_position_embeddings)`` with an int offset, and its base from that length. The protocol gives
  the length as ``seq_len``, so the adapter calls the module once on a ``(1, 1, 1, dims)`` zero input
  at ``offset = seq_len − 1`` (length ``seq_len``; 1 without ``seq_len``: L0), records the
  ``mx.fast.rope`` call it makes (a ``mock`` wrapping the function) and makes that call again with x
  and the positions as offset: the base is the module's own, nothing is recomputed. The attention
  factor is where the class applies it: ``YarnRoPE`` and ``SuScaledRoPE`` multiply the first ``dims``
  features of x by it (in x's dtype) before ``mx.fast.rope``. ``SuScaledRoPE`` and
  ``DynamicNTKAlphaRoPE`` hard-code ``traditional=False``: ``"interleaved"`` is not provided for
  longrope and ntk_alpha.
* ``rope_frequencies``: ``mx.reciprocal(module._freqs)`` — the classes keep periods ``1/θ'_i`` and
  ``mx.fast.rope`` takes exactly this reciprocal of them (float32); attention factor ``YarnRoPE.mscale``
  or ``SuScaledRoPE._scale``, 1 for the others. ``nn.RoPE`` (default, linear) and
  ``DynamicNTKScalingRoPE`` keep no frequencies (``mx.fast.rope`` derives them from ``base`` and
  ``scale`` inside the op): not provided for those rope_types.
* Not in mlx-lm: ntk, the seed maps, reverse extrapolation (rope_types); ``"mrope"`` is ``nn.RoPE``
  with its sections ignored, so multi-axis RoPE is not provided.
"""

from __future__ import annotations

from importlib.metadata import version
from unittest import mock

from impl.adapters import require
from impl.adapters.mlx import mx, rope_per_position, to_numpy
from spec import validation
from spec.rope_parameters import AXIS_KEYS

require("mlx_lm", package="mlx-lm", extra="mlx")
from mlx_lm.models.hunyuan import DynamicNTKAlphaRoPE
from mlx_lm.models.rope_utils import (
    DynamicNTKScalingRoPE,
    SuScaledRoPE,
    YarnRoPE,
    initialize_rope,
)

ARRAY_API = "numpy"
DTYPES = ("float64", "float32", "float16", "bfloat16")
VERSIONS = {"mlx-lm": version("mlx-lm"), "mlx": version("mlx")}
ROPE_TYPES = ("default", "linear", "dynamic", "ntk_alpha", "yarn", "llama3", "longrope", "proportional")
_HALF_ONLY = ("longrope", "ntk_alpha")  # SuScaledRoPE and DynamicNTKAlphaRoPE call mx.fast.rope with traditional=False


def _module(rotary_dim: int, base: float, layout: str, config: dict | None):
    rope_type = "default" if config is None else config["rope_type"]
    if rope_type not in ROPE_TYPES:
        raise NotImplementedError(f"rope_type {rope_type!r}: mlx-lm has no such scaler")
    if rope_type in _HALF_ONLY and layout == "interleaved":
        raise NotImplementedError(f"rope_type {rope_type!r}: mlx-lm's class hard-codes traditional=False (half layout)")
    if rope_type == "ntk_alpha":
        return DynamicNTKAlphaRoPE(rotary_dim, base, scaling_alpha=config["alpha"])
    length = None
    if config is not None and "original_max_position_embeddings" in config:
        original = config["original_max_position_embeddings"]
        length = original if rope_type == "dynamic" else config["factor"] * original
    scaling_config = None if config is None else {
        key: value for key, value in config.items() if value is not None and key not in AXIS_KEYS}
    return initialize_rope(rotary_dim, base, layout == "interleaved", scaling_config, length)


def rope_frequencies(rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
    dim, base, config = validation.scaled_rope_frequencies_args(rotary_dim, base, scaling, seq_len)
    module = _module(dim, base, "half", config)
    if not hasattr(module, "_freqs"):
        raise NotImplementedError(f"mlx-lm's {type(module).__name__} keeps no frequencies: mx.fast.rope derives them "
                                  "from base and scale inside the op")
    factor = module.mscale if isinstance(module, YarnRoPE) else module._scale if isinstance(module, SuScaledRoPE) else 1.0
    return to_numpy(mx.reciprocal(module._freqs)), float(factor)


def _at_length(module: DynamicNTKScalingRoPE, seq_len: int | None):
    """The ``mx.fast.rope`` call the module makes at length ``seq_len``, as a function of (a, offset)."""
    with mock.patch.object(mx.fast, "rope", wraps=mx.fast.rope) as spy:
        module(mx.zeros((1, 1, 1, module.dims)), offset=(seq_len or 1) - 1)
    (_, *args), kwargs = spy.call_args
    return lambda a, offset: mx.fast.rope(a, *args, **{**kwargs, "offset": offset})


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    _, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    module = _module(rd, base, layout, config)
    if isinstance(module, DynamicNTKScalingRoPE):
        return rope_per_position(_at_length(module, seq_len), x, positions)
    return rope_per_position(lambda a, offset: module(a, offset=offset), x, positions)
