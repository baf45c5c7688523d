"""Target ``megatron-core``: NVIDIA Megatron-Core's RoPE and T5 relative-position code, on CPU.

What runs for each op, and the conventions this adapter converts:

* ``rope_apply``: ``RotaryEmbedding(kv_channels=head_dim, rotary_percent, rotary_interleaved,
  seq_len_interpolation_factor, rotary_base=base, rope_scaling, rope_scaling_factor,
  use_cpu_initialization=True)`` — its float32 ``inv_freq`` = 1/base^(arange(0, dim, 2)/dim) — then
  ``get_freqs_non_repeated(1, offset=p)`` for each position p (float32 ``arange + offset``, times
  ``1/seq_len_interpolation_factor`` when set, outer product with ``inv_freq``: float32 angles), and
  ``rope_utils._apply_rotary_pos_emb_bshd(t, freqs, rotary_interleaved, mscale)``: cos/sin of the
  float32 angles times ``mscale``, cast to t's dtype, products in t's dtype; the first
  ``freqs.shape[-1]`` dims rotate, the rest are concatenated back unchanged. Conventions converted:
  - layout of x: the library takes t ``[seq, batch, heads, dim]`` (sequence first); x ``[..., seq,
    head_dim]`` is passed as ``[seq, batch, 1, head_dim]`` and permuted back;
  - positions: the library's are ``arange(seq) + offset``; the adapter asks for one position at a
    time (``offset = p``), so arbitrary positions get the library's own float32 ``0 + p``;
  - cos/sin width: ``forward``/``get_emb`` move ``inv_freq`` to ``torch.cuda.current_device()`` and
    fail on a CPU-only torch, so the angles ``[seq, rotary_dim/2]`` are laid out as ``get_emb`` does
    it: ``cat((f, f))`` for ``"half"``, each angle twice in a row (``stack``) for ``"interleaved"``,
    shaped ``[seq, 1, 1, rotary_dim]``;
  - partial rotary: ``rotary_percent`` (the library's ``dim = int(kv_channels * rotary_percent)``).
    The adapter passes ``rotary_dim / head_dim``, or the next float up where float rounding makes
    that product truncate to ``rotary_dim − 1`` (e.g. ``int(44 * (30/44)) == 29``): the percent
    that *means* ``rotary_dim`` in the library's own formula;
  - ``{"rope_type": "linear", "factor": s}`` → ``seq_len_interpolation_factor = s`` (positions
    times ``1/s``; its docstring asks for s > 1, the code does not check, so s ≤ 1 is passed too);
  - ``{"rope_type": "llama3", ...}`` → ``rope_scaling=True, rope_scaling_factor=factor``; the
    constructor forwards only ``factor`` to ``_apply_scaling`` (its ``low_freq_factor`` 1,
    ``high_freq_factor`` 4 and ``original_max_position_embeddings`` 8192 are defaults there), so the
    adapter builds with ``rope_scaling=False`` and applies the same method with the dict's four keys,
    exactly the constructor's one line with nothing left to its defaults.
  ``seq_len`` is ignored: none of these maps depends on the length.
* ``{"rope_type": "yarn", ...}``: ``yarn_rotary_pos_embedding.YarnRotaryEmbedding(kv_channels=head_dim,
  rotary_percent, rotary_base=base, scaling_factor=factor, original_max_position_embeddings,
  beta_fast, beta_slow, mscale, mscale_all_dim, correction_range_round_to_int=truncate,
  use_cpu_initialization=True)`` and its ``get_emb(1, offset=p) → (angles, mscale)`` per position
  (the ramp between ``inv_freq_extra`` and ``inv_freq_inter``, float32), applied with
  ``_apply_rotary_pos_emb_bshd(..., mscale=mscale)`` as Megatron's attention does (the attention
  factor multiplies cos/sin). Environment shim: the constructor already calls ``get_emb``, which
  moves its float32 buffers to ``torch.cuda.current_device()``; on a CPU-only torch that asserts, so
  ``torch.cuda.current_device`` is patched to return ``"cpu"`` while the module is built and queried —
  the buffers are already on the CPU, the ``.to`` is a no-op and no arithmetic changes.
  ``mscale``/``mscale_all_dim`` absent are passed as ``None`` (the library's "absent": it then uses
  0.1·ln s + 1, as Hugging Face). An ``attention_factor`` key is not provided (the library has none);
  ``layout="interleaved"`` is not provided (``get_emb`` asserts "Yarn RoPE does not support
  interleaved rotary embeddings").
* ``rope_frequencies``: the same module built for ``kv_channels = rotary_dim``: ``get_freqs_non_repeated
  (1, offset=1)`` (YaRN: ``get_emb(1, offset=1)``), the angle per unit position — θ_i, the llama3 map,
  ``fl(1/s)·θ_i`` for linear (Megatron scales positions, not ``inv_freq``). Attention factor 1, or
  YaRN's ``mscale``.
* ``t5_bucket``: ``relative_pos_embedding.RelativePositionEmbedding(bidirectional, init_method,
  num_attention_heads=1, relative_attention_num_buckets, relative_attention_max_distance)`` and its
  ``_relative_position_bucket(relative_position, bidirectional, num_buckets, max_distance)``, called
  as its ``_compute_bias`` does. Its ``relative_position`` is ``memory − context`` (key − query) and
  ``bidirectional`` has the protocol's meaning: no conversion.
* Not in Megatron-Core, or not on CPU: sinusoidal tables (its ``LanguageModelEmbedding`` learns its
  absolute table: a plain ``nn.Embedding``), ALiBi, xPos; ``MultimodalRotaryEmbedding`` (M-RoPE)
  builds ``inv_freq`` on ``torch.cuda.current_device()`` with no CPU option.
"""

from __future__ import annotations

import functools
import math
from importlib.metadata import version
from unittest import mock

from impl.adapters import require
from spec import validation

torch = require("torch")
require("megatron.core", package="megatron-core", extra="megatron-keras")
from megatron.core.models.common.embeddings.relative_pos_embedding import (
    RelativePositionEmbedding,
)
from megatron.core.models.common.embeddings.rope_utils import (
    _apply_rotary_pos_emb_bshd,
)
from megatron.core.models.common.embeddings.rotary_pos_embedding import RotaryEmbedding
from megatron.core.models.common.embeddings.yarn_rotary_pos_embedding import (
    YarnRotaryEmbedding,
)

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16", "bfloat16")
VERSIONS = {"megatron-core": version("megatron-core")}
ROPE_TYPES = ("default", "linear", "llama3", "yarn")  # seq_len_interpolation_factor, rope_scaling, YarnRotaryEmbedding


def _cuda_device_is_cpu():
    """The environment shim YaRN needs on a CPU-only torch (module docstring): no arithmetic changes."""
    return mock.patch.object(torch.cuda, "current_device", lambda: "cpu")


def _rotary_percent(rotary_dim: int, head_dim: int) -> float:
    """The ``rotary_percent`` whose ``int(head_dim * rotary_percent)`` is ``rotary_dim``."""
    percent = rotary_dim / head_dim
    return percent if int(head_dim * percent) == rotary_dim else math.nextafter(percent, 2.0)


def _module(head_dim: int, rotary_dim: int, base: float, layout: str, scaling: dict | None):
    frozen = None if scaling is None else tuple(sorted(scaling.items()))
    return _cached_module(head_dim, rotary_dim, base, layout, frozen)


@functools.lru_cache(maxsize=8)
def _cached_module(head_dim: int, rotary_dim: int, base: float, layout: str, frozen: tuple | None):
    scaling = {"rope_type": "default"} if frozen is None else dict(frozen)
    rope_type = scaling["rope_type"]
    common = {"kv_channels": head_dim, "rotary_percent": _rotary_percent(rotary_dim, head_dim),
              "rotary_interleaved": layout == "interleaved", "rotary_base": base, "use_cpu_initialization": True}
    if rope_type == "yarn":
        if layout == "interleaved":
            raise NotImplementedError("Megatron's YarnRotaryEmbedding asserts 'Yarn RoPE does not support interleaved "
                                      "rotary embeddings'")
        if scaling["attention_factor"] is not None:
            raise NotImplementedError("Megatron's YaRN has no attention_factor: it always derives mscale from the "
                                      "factor, mscale and mscale_all_dim")
        with _cuda_device_is_cpu():
            return YarnRotaryEmbedding(
                **common, scaling_factor=scaling["factor"],
                original_max_position_embeddings=scaling["original_max_position_embeddings"],
                beta_fast=scaling["beta_fast"], beta_slow=scaling["beta_slow"], mscale=scaling["mscale"],
                mscale_all_dim=scaling["mscale_all_dim"], correction_range_round_to_int=scaling["truncate"],
            )
    if rope_type == "linear":
        return RotaryEmbedding(**common, seq_len_interpolation_factor=scaling["factor"])
    module = RotaryEmbedding(**common)
    if rope_type == "llama3":  # the constructor's own line, with every key of the dict (module docstring)
        module.inv_freq = module._apply_scaling(
            module.inv_freq, factor=scaling["factor"], low_freq_factor=scaling["low_freq_factor"],
            high_freq_factor=scaling["high_freq_factor"],
            original_max_position_embeddings=scaling["original_max_position_embeddings"],
        )
    elif rope_type != "default":
        raise NotImplementedError(f"rope_type {rope_type!r}: Megatron-Core offers linear (seq_len_interpolation_factor), "
                                  "llama3 (rope_scaling) and yarn (YarnRotaryEmbedding) only")
    return module


def _embedding(module, positions: list[int], layout: str) -> tuple:
    """(angles ``[seq, 1, 1, width]`` laid out for ``layout``, mscale), each position as the library's ``offset``."""
    if isinstance(module, YarnRotaryEmbedding):
        with _cuda_device_is_cpu():
            embs = [module.get_emb(1, offset=p) for p in positions]  # (cat((f, f)) [1, 1, 1, width], mscale)
        width = 2 * module.inv_freq_extra.shape[0]
        return torch.cat([emb for emb, _ in embs] or [torch.empty(0, 1, 1, width)]), embs[0][1] if embs else 1.0
    freqs = torch.cat([module.get_freqs_non_repeated(1, offset=p) for p in positions]
                      or [torch.empty(0, module.inv_freq.shape[0])])
    if layout == "half":  # get_emb's two layouts
        emb = torch.cat((freqs, freqs), dim=-1)
    else:
        emb = torch.stack((freqs.view(-1, 1), freqs.view(-1, 1)), dim=-1).view(freqs.shape[0], -1)
    return emb[:, None, None, :], 1.0


def rope_frequencies(rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
    dim, base, config = validation.scaled_rope_frequencies_args(rotary_dim, base, scaling, seq_len)
    with torch.no_grad():
        emb, mscale = _embedding(_module(dim, dim, base, "half", config), [1], "half")
    return emb[0, 0, 0, : dim // 2], float(mscale)


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    head_dim, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    module = _module(head_dim, rd, base, layout, config)
    seq = x.shape[-2]
    with torch.no_grad():
        emb, mscale = _embedding(module, [int(p) for p in positions.tolist()], layout)
        t = x.reshape(-1, seq, head_dim).permute(1, 0, 2)[:, :, None, :]  # [seq, batch, 1, head_dim]
        out = _apply_rotary_pos_emb_bshd(t, emb, rotary_interleaved=layout == "interleaved", mscale=mscale)
    return out[:, :, 0, :].permute(1, 0, 2).reshape(x.shape)


@functools.lru_cache(maxsize=8)
def _relative_embedding(bidirectional: bool, num_buckets: int, max_distance: int) -> RelativePositionEmbedding:
    return RelativePositionEmbedding(bidirectional, torch.nn.init.zeros_, num_attention_heads=1,
                                     relative_attention_num_buckets=num_buckets,
                                     relative_attention_max_distance=max_distance)


def t5_bucket(relative_position, *, bidirectional=True, num_buckets=32, max_distance=128):
    validation.t5_bucket_args(relative_position, bidirectional, num_buckets, max_distance)
    module = _relative_embedding(bidirectional, num_buckets, max_distance)
    with torch.no_grad():
        return module._relative_position_bucket(
            relative_position.to(torch.int64), bidirectional=module.bidirectional,
            num_buckets=module.relative_attention_num_buckets, max_distance=module.relative_attention_max_distance,
        )
