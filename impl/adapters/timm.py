"""Target ``timm``: the sin-cos and rotary helpers of ``timm.layers.pos_embed_sincos``.

``import timm`` needs torchvision, whose CPU-compatible wheels pull a CUDA torch; timm is therefore
installed with ``--no-deps`` and this adapter loads ``timm/layers/pos_embed_sincos.py`` alone, as a
file: its package-relative imports are ``.grid`` and ``.trace_utils`` (loaded from the same folder)
and ``._fx.register_notrace_function`` (an FX-tracing registry, replaced by the identity). The code
that runs is timm's own file, unchanged.

What runs for each op, and the conventions this adapter converts:

* ``rope_apply``: ``build_rotary_pos_embed([1], dim=2 * rotary_dim, in_pixels=False,
  temperature=base, grid_offset=p, rotate_half=…)`` for each position p, rows concatenated, then
  ``apply_rot_embed(x, sin, cos, half=…)``. timm's RoPE is axial: each axis of ``feat_shape`` gets
  ``dim // 4`` bands, so a 1-D shape of width ``rotary_dim`` needs ``dim = 2 * rotary_dim``.
  ``in_pixels=False`` selects the language-model bands ``temperature ** -(i / (dim // 4))`` = base^(−2i/d)
  on an integer grid (``grid_type="index"``: ``arange(S)`` in float32 plus ``grid_offset``); the
  default ``in_pixels=True`` is the ViT scheme (coordinates in [−1, 1], bands linspace(1,
  max_res/2)·π) and is not RoPE over token positions. Positions come from ``grid_offset`` (the grid
  ``arange(1) + p`` is p in float32, exact below 2^24), one row per position: any positions, not only
  ``0 … S − 1``. Library arithmetic: float32 grid × float32 bands (float32 angles), sin/cos in float32
  (``dtype``'s default), ``x * cos + rot(x) * sin`` with torch's promotion (float64 for float64 x,
  float32 for float16/bfloat16 x), cast once to x's dtype. ``"interleaved"``: ``rotate_half=False``
  with ``half=False`` (``rot`` pairs (2i, 2i+1), timm's default); ``"half"``: ``rotate_half=True``
  with ``half=True`` (``rope_rotate_half`` pairs (i, i + d/2)). Partial rotary is not provided
  (``apply_rot_embed`` multiplies the whole head); no scaler (timm's only rescaling,
  ``ref_feat_shape``, maps a feature-map shape onto a pretraining shape — a ratio of integer grid
  sizes, not a rope_type of the vocabulary).
* ``rope_frequencies``: ``freq_bands(rotary_dim // 2, temperature=base, step=1)``, the bands
  ``build_rotary_pos_embed`` uses with ``in_pixels=False`` (float32); attention factor 1.
* ``sinusoidal``, ``"concat"``: ``build_sincos2d_pos_embed([rows], dim=2 * dim, temperature=base)``
  — the same axial convention (``dim // 4`` bands per axis), so a 1-D shape gives the table
  ``[sin | cos]`` of width dim for positions ``0 … rows − 1`` (float32 grid, bands and angles). The
  function has no offset, so rows up to ``max(positions)`` are built and the given positions read
  from it, hence ``MAX_POSITION`` for this op. ``"interleaved"`` is not provided: timm's tables put
  sin and cos in blocks (``interleave_sin_cos=True`` alternates whole per-axis blocks, not entries).
* ``axial_rope_apply``: the same builder on the 2-D patch grid, ``build_rotary_pos_embed([H, W],
  dim=head_dim, in_pixels=False, temperature=base, rotate_half=…)`` (``grid_indexing="ij"``: rows are
  patches in row-major (h, w) order, the first ``head_dim/4`` bands follow h and the next w — the towers'
  axial RoPE), with H, W one past the largest h, w; each patch reads its row h·W + w (timm's sin/cos rows are
  built for the whole grid, so ``MAX_POSITION`` bounds a coordinate), then ``apply_rot_embed`` as above.
* ALiBi, T5 buckets, xPos, learned tables: not in this module.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from importlib.metadata import PackageNotFoundError, distribution, version
from pathlib import Path

from impl.adapters import require
from spec import validation

torch = require("torch")

_PACKAGE = "_timm_layers_standalone"


def _load_pos_embed_sincos() -> types.ModuleType:
    """timm's ``layers/pos_embed_sincos.py`` as a module, without importing the ``timm`` package."""
    try:
        folder = Path(str(distribution("timm").locate_file(""))) / "timm" / "layers"
    except PackageNotFoundError as error:
        raise ImportError(f"timm is not installed ({error}); install it with pip install -e \".[diffusers-timm]\"") from error
    if f"{_PACKAGE}.pos_embed_sincos" in sys.modules:
        return sys.modules[f"{_PACKAGE}.pos_embed_sincos"]
    package = types.ModuleType(_PACKAGE)
    package.__path__ = [str(folder)]
    fx = types.ModuleType(f"{_PACKAGE}._fx")
    fx.register_notrace_function = lambda function: function  # FX tracing only
    sys.modules.update({_PACKAGE: package, fx.__name__: fx})
    for name in ("grid", "trace_utils", "pos_embed_sincos"):
        spec = importlib.util.spec_from_file_location(f"{_PACKAGE}.{name}", folder / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return sys.modules[f"{_PACKAGE}.pos_embed_sincos"]


_sincos = _load_pos_embed_sincos()

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16", "bfloat16")
VERSIONS = {"timm": version("timm")}
ROPE_TYPES = ("default",)
#: build_sincos2d_pos_embed has no offset: its table is built for every row up to the last position.
MAX_POSITION = {"sinusoidal": 2**14, "axial_rope_apply": 2**8}


def rope_frequencies(rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
    dim, base = validation.rope_frequencies_args(rotary_dim, base, scaling, seq_len)
    return _sincos.freq_bands(dim // 2, temperature=base, step=1), 1.0


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    head_dim, rd, base = validation.rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    if rd != head_dim:
        raise NotImplementedError("timm's apply_rot_embed rotates the whole head (sin/cos are full width): no partial "
                                  "rotary")
    half = layout == "half"
    rows = [_sincos.build_rotary_pos_embed([1], dim=2 * rd, in_pixels=False, temperature=base, grid_offset=float(p),
                                           rotate_half=half) for p in positions.tolist()]
    if rows:
        sin, cos = (torch.cat(parts) for parts in zip(*rows))
    else:
        sin, cos = _sincos.build_rotary_pos_embed([0], dim=2 * rd, in_pixels=False, temperature=base, rotate_half=half)
    with torch.no_grad():
        return _sincos.apply_rot_embed(x, sin, cos, half=half)


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    dim, base, layout = validation.sinusoidal_args(positions, dim, base, layout)
    if layout != "concat":
        raise NotImplementedError("timm's sin-cos tables are [sin | cos] blocks per axis: concat layout only")
    positions = positions.to(torch.int64)
    rows = int(positions.max()) + 1 if positions.numel() else 1
    return _sincos.build_sincos2d_pos_embed([rows], dim=2 * dim, temperature=base)[positions]


def axial_rope_apply(x, positions, *, base=10000.0, layout="half"):
    head_dim, base, layout = validation.axial_rope_apply_args(x, positions, base, layout)
    half = layout == "half"
    h, w = positions.to(torch.int64)
    height, width = int(h.max()) + 1, int(w.max()) + 1
    sin, cos = _sincos.build_rotary_pos_embed([height, width], dim=head_dim, in_pixels=False, temperature=base,
                                              rotate_half=half)
    rows = h * width + w
    with torch.no_grad():
        return _sincos.apply_rot_embed(x, sin[rows], cos[rows], half=half)
