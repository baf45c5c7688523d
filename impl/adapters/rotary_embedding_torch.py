"""Target ``rotary-embedding-torch``: lucidrains' rotary-embedding-torch (``RotaryEmbedding``, ``apply_rotary_emb``).

What runs for each op, and the conventions this adapter converts:

* ``rope_apply``: ``RotaryEmbedding(rotary_dim, theta=base, ...)`` (``freqs_for="lang"``: a float32
  ``freqs`` parameter θ_i = theta^(−2i/dim)). Positions go through the library's own
  ``get_seq_pos``: ``rotate_queries_or_keys`` calls it with ``dtype = x.dtype`` and takes positions
  ``offset, offset + 1, …``; for arbitrary positions the adapter calls ``get_seq_pos(1,
  dtype=x.dtype, offset=p)`` for each position p, i.e. ``p`` in x's dtype divided by
  ``interpolate_factor``, exactly as ``rotate_queries_or_keys`` does. ``forward(seq)`` (called without
  ``seq_len``: no cache) casts them to float32 and multiplies by θ_i (float32 angles), each frequency
  twice; ``apply_rotary_emb(freqs, x)`` rotates the first ``freqs.shape[-1] = rotary_dim`` dims
  (``start_index=0``: the library's partial rotary), concatenates the rest unchanged and casts back
  to x's dtype. Its ``rotate_half`` pairs (2i, 2i+1) (``'... (d r) -> ... d r', r = 2``):
  ``layout="interleaved"`` only, ``"half"`` is not provided. x keeps its ``[..., seq, head_dim]``
  shape (``seq_dim=-2``, the library's default). xPos is off.
  Scaling: ``{"rope_type": "linear", "factor": s}`` → ``interpolate_factor = s`` (positions divided
  by s; the library asserts s >= 1, so s < 1 is not provided); ``{"rope_type": "ntk", "factor": s}``
  → ``theta_rescale_factor = s`` (``theta *= s ** (dim / (dim - 2))``, bloc97's NTK-aware base, the
  vocabulary's ``ntk``). Other rope_types: not provided. ``rotary_dim = 2`` is not provided:
  ``RotaryEmbedding(2)`` raises ``ZeroDivisionError`` (``theta_rescale_factor ** (dim / (dim - 2))``
  is evaluated even for factor 1).
* ``xpos_apply``: ``RotaryEmbedding(head_dim, theta=base, use_xpos=True, xpos_scale_base=scale_base)``
  (every dim rotates; ζ_i is its float32 ``scale`` buffer ``(arange(0, dim, 2) + 0.4·dim) /
  (1.4·dim)``, γ = 0.4 hard-coded), applied as ``rotate_queries_and_keys`` does: positions from
  ``get_seq_pos`` in x's dtype (as for ``rope_apply``), ``freqs = forward(seq)`` (float32 angles),
  ``scale = get_scale(seq).to(x.dtype)``, then ``apply_rotary_emb(freqs, x, scale=scale)`` for
  ``role="query"`` and ``scale=scale ** -1`` for ``"key"``. The library centres the scale's
  positions (``power = (t - len(t) // 2) / scale_base``, which leaves every score unchanged); the
  protocol scales by the position m itself, so the adapter calls ``get_scale`` on each position
  alone (``len(t) = 1``: centre 0, ``power = m / scale_base``) — the library's arithmetic, and no
  shifted position rounded in x's dtype. ``power`` is in x's dtype; ``float32 scale ** power`` is
  float64 for float64 x and float32 otherwise, then cast to x's dtype, and the key's ``scale ** -1``
  is taken after that cast. For float16 x the scale is subnormal (fewer significant bits, which the
  key's inverse inherits) once ζ_0^(m/B) < 6.1e-5 (ζ_0 = 2/7: m ≳ 7.8·B) and ``inf`` (the query's
  from m ≲ −8.8·B, the key's from m ≳ 8.8·B) once ζ_0^(∓|m|/B) passes 65504. The float32 buffer's
  rounding makes the scale's relative error about |m|/B float32 ulps, for float64 x too. Pairs
  (2i, 2i+1): ``layout="interleaved"`` only, ``"half"`` is not provided; ``head_dim = 2`` is not
  provided (the ``ZeroDivisionError`` above).
* ``rope_frequencies``: ``forward(get_seq_pos(1, offset=1))`` (float32, the library's default dtype)
  at every other entry — the angle per unit position, θ_i itself without scaling and
  ``fl(1/s)·θ_i`` under ``interpolate_factor`` (PI divides positions, not ``freqs``). Attention
  factor 1.

The module is built with ``cache_if_possible=False, cache_max_seq_len=1`` only to skip allocating
its (unused) 8192-row cache; no other op of the protocol exists in the library.
"""

from __future__ import annotations

from importlib.metadata import version

from impl.adapters import require
from spec import validation

torch = require("torch")
require("rotary_embedding_torch", package="rotary-embedding-torch")
from rotary_embedding_torch import RotaryEmbedding, apply_rotary_emb

ARRAY_API = "torch"
DEVICE = "cpu"
DTYPES = ("float64", "float32", "float16", "bfloat16")
VERSIONS = {"rotary-embedding-torch": version("rotary-embedding-torch")}
EXTENSIONS = ("ntk",)  # bloc97's NTK-aware base: the vocabulary's "ntk" (an extension of Hugging Face's)
ROPE_TYPES = ("default", "linear", "ntk")  # interpolate_factor, theta_rescale_factor


def _rotary(rotary_dim: int, base: float, scaling: dict | None, **xpos) -> RotaryEmbedding:
    if rotary_dim == 2:
        raise NotImplementedError("rotary-embedding-torch's RotaryEmbedding(dim=2) raises ZeroDivisionError: it evaluates "
                                  "theta_rescale_factor ** (dim / (dim - 2)) even when the factor is 1")
    rope_type = "default" if scaling is None else scaling["rope_type"]
    kwargs = {}
    if rope_type == "linear":
        if scaling["factor"] < 1:
            raise NotImplementedError("rotary-embedding-torch asserts interpolate_factor >= 1")
        kwargs["interpolate_factor"] = scaling["factor"]
    elif rope_type == "ntk":
        kwargs["theta_rescale_factor"] = scaling["factor"]
    elif rope_type != "default":
        raise NotImplementedError(f"rope_type {rope_type!r}: rotary-embedding-torch offers linear (interpolate_factor) "
                                  "and ntk (theta_rescale_factor) only")
    return RotaryEmbedding(rotary_dim, theta=base, cache_if_possible=False, cache_max_seq_len=1, **kwargs, **xpos)


def rope_frequencies(rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
    dim, base, config = validation.scaled_rope_frequencies_args(rotary_dim, base, scaling, seq_len)
    module = _rotary(dim, base, config)
    with torch.no_grad():
        freqs = module(module.get_seq_pos(1, offset=1))
    return freqs[0, ::2], 1.0


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    _, rd, base, config = validation.scaled_rope_apply_args(x, positions, base, layout, rotary_dim, scaling, seq_len)
    if layout != "interleaved":
        raise NotImplementedError("rotary-embedding-torch's rotate_half pairs (2i, 2i+1): interleaved layout only")
    module = _rotary(rd, base, config)
    with torch.no_grad():
        seq = torch.cat([module.get_seq_pos(1, dtype=x.dtype, offset=int(p)) for p in positions.tolist()]
                        or [torch.empty(0, dtype=x.dtype)])
        return apply_rotary_emb(module(seq), x)


def xpos_apply(x, positions, *, role, base=10000.0, layout="half", scale_base=512.0):
    head_dim, role, base, layout, scale_base = validation.xpos_apply_args(x, positions, role, base, layout, scale_base)
    if layout != "interleaved":
        raise NotImplementedError("rotary-embedding-torch's rotate_half pairs (2i, 2i+1): interleaved layout only")
    module = _rotary(head_dim, base, None, use_xpos=True, xpos_scale_base=scale_base)
    with torch.no_grad():
        seq = torch.cat([module.get_seq_pos(1, dtype=x.dtype, offset=int(p)) for p in positions.tolist()]
                        or [torch.empty(0, dtype=x.dtype)])
        # get_scale centres at len(t) // 2: one position at a time, that centre is 0 and power = m / scale_base
        scale = torch.cat([module.get_scale(t) for t in seq.split(1)] or [module.get_scale(seq)]).to(x.dtype)
        return apply_rotary_emb(module(seq), x, scale=scale if role == "query" else scale ** -1)
