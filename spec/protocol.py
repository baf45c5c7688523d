"""The target protocol: the ops a checked implementation may offer, with their exact signatures.

A target is a module offering any subset of these functions (a missing op is "not provided"; an op
raising ``NotImplementedError`` for a feature — a layout, a dtype, a scaler — is "not provided" for
that feature). It may declare, as module attributes:

* ``ARRAY_API``: ``"numpy"`` (default) or ``"torch"`` — the array type its ops take and return;
* ``DEVICE``: the torch device its inputs are built on (default ``"cpu"``);
* ``DTYPES``: the floating dtypes ``rope_apply``/``learned_absolute``/``attention`` accept, by name, from
  ``float64``, ``float32``, ``float16``, ``bfloat16`` (default: float64 and float32);
* ``MAX_POSITION``: the largest position the target supports — an int, or a dict op → int — for
  implementations built on a finite table (torchtune's cache, a model's sinusoid table); the gate
  then draws positions, and positions plus shifts, no larger (default: unlimited);
* ``VERSIONS``: ``{library: version}`` of what an adapter wraps, for the report;
* ``EXTENSIONS``: the parts of this suite's vocabulary beyond Hugging Face's ``rope_parameters`` that
  the target implements, from ``spec.rope_parameters.EXTENSIONS`` — rope_types by name (``"ntk"``,
  ``"seed_scale"``, ``"seed_power"``, ``"seed_polynomial"``, ``"reverse_extrapolation"``) and keys as
  ``"rope_type.key"`` (``"yarn.ramp"``). A target declaring none is checked on Hugging Face's
  vocabulary only: the gate never sends it an undeclared rope_type or key, and every property of an
  undeclared rope_type is "not provided". An unknown name makes the target unavailable (a typo
  would otherwise silently skip checks);
* ``ROPE_TYPES``: the rope_types its scaled RoPE implements (default: every one; ``"default"`` is
  plain RoPE) — the properties of the others are "not provided" at once, where a ``NotImplementedError``
  per drawn case costs the gate a hundred discarded examples to conclude the same.

Results are judged by the error model of the dtype they come back in (``spec.error_model``).
The stubs below are the normative signatures; ``tests/meta/test_gate.py`` checks the project's own
targets against them.
"""

from __future__ import annotations

OPS = ("sinusoidal", "rope_frequencies", "rope_apply", "mrope_positions", "xpos_apply", "axial_rope_apply", "attention_scale", "alibi_slopes", "alibi_bias",
       "t5_bucket", "learned_absolute", "attention")
DTYPES = ("float64", "float32", "float16", "bfloat16")


def sinusoidal(positions, dim, *, base=10000.0, layout="interleaved"):
    """Vaswani table ``[len(positions), dim]``, ω_i = base^(−2i/dim).

    ``"interleaved"``: PE[p, 2i] = sin(pω_i), PE[p, 2i+1] = cos(pω_i) (the paper);
    ``"concat"``: PE[p] = [sin(pω_0…) | cos(pω_0…)].
    """


def rope_frequencies(rotary_dim, *, base=10000.0, scaling=None, seq_len=None):
    """``(inv_freq[rotary_dim // 2], attention_factor)`` with inv_freq_i = base^(−2i/rotary_dim), or the map of
    ``scaling`` — a Hugging Face ``rope_parameters`` dict (``spec/rope_parameters.py``) — at length ``seq_len``."""


def rope_apply(x, positions, *, base=10000.0, layout="half", rotary_dim=None, scaling=None, seq_len=None):
    """R(m)x for x ``[..., seq, head_dim]`` and integer positions ``[seq]``; same shape and dtype.

    ``"half"`` pairs (i, i + rotary_dim/2) (rotate_half); ``"interleaved"`` pairs (2i, 2i+1). Only the
    first ``rotary_dim`` (default head_dim) dims rotate; the rest pass through unchanged. ``scaling`` and
    ``seq_len`` select the frequencies as in :func:`rope_frequencies`; the rotated part is multiplied by
    the attention factor. ``x`` is never modified in place.
    """



def mrope_positions(segments, *, spatial_merge_size=2, tokens_per_second=None):
    """M-RoPE position rows ``[3, seq]`` (t, h, w; int64) of a sequence of text, image and video segments, as Qwen2-VL's
    and Qwen2.5-VL's ``get_rope_index`` build them. ``segments`` is a sequence of ``("text", length)``, ``("image",
    (T, H, W))`` and ``("video", (T, H, W), seconds_per_grid)``: grids in patches, H and W multiples of
    ``spatial_merge_size`` m. Each segment starts at s = 1 + the largest position of every row so far (0 first):

    * text: t = h = w = s + i, i < length;
    * image or video: tokens in (frame, row, column) order over the merged grid (T, H/m, W/m), with h = s + row,
      w = s + column and t = s + ⌊k·interval⌋ for frame k — interval 1 for images and, with ``tokens_per_second``
      None (Qwen2-VL), for videos; tokens_per_second × seconds_per_grid for Qwen2.5-VL's videos (the product of
      the given numbers, floored after multiplying by k).
    """


def xpos_apply(x, positions, *, role, base=10000.0, layout="half", scale_base=512.0):
    """xPos (Sun et al. 2022): ζ_i^(±m/B)·R(m)x for x ``[..., seq, head_dim]``, integer positions ``[seq]``.

    ζ_i = (2i/d + γ)/(1 + γ) with γ = 0.4 (the paper's and every library's), i the pair index, d = head_dim
    (every dim rotates), B = ``scale_base``; ``role="query"`` multiplies pair i by ζ_i^(m/B), ``"key"`` by
    ζ_i^(−m/B), so a score gets ζ_i^((m−n)/B): a decay with the distance of a key behind its query.
    Positions may be negative: libraries centre them (m − seq_len//2) to keep ζ^(±m/B) finite, which
    leaves every score unchanged. ``layout`` pairs lanes as in :func:`rope_apply`. Same shape and dtype.
    """


def axial_rope_apply(x, positions, *, base=10000.0, layout="half"):
    """2-D axial RoPE of vision towers (Hugging Face's rope_type ``"axial"``: the ViTs of Qwen2-VL, Qwen2.5-VL,
    Qwen3-VL, GLM-4V, Ernie-4.5-VL) for x ``[..., seq, head_dim]``, head_dim % 4 = 0, and integer positions
    ``[2, seq]`` (rows h, w: a patch's row and column). Each axis has its own ladder over half the head,
    ω_k = base^(−4k/head_dim) = base^(−2k/(head_dim/2)), k < head_dim/4: pair j < head_dim/4 rotates by h·ω_j,
    pair head_dim/4 + k by w·ω_k. ``layout`` pairs lanes as in :func:`rope_apply` (the Qwen modules: ``"half"``
    over the whole head). Every dim rotates; same shape and dtype; x is never modified in place.
    """


def attention_scale(positions, head_dim, *, scaling=None, softmax_mscale=False, temperature=None):
    """``[seq]`` factors multiplying q·kᵀ of a query at each integer position (beyond ``rope_apply``'s attention
    factor, which q and k already carry): 1/√head_dim, times

    * mscale(s, mscale_all_dim)² when ``softmax_mscale`` and ``scaling`` is a ``yarn`` dict with a nonzero
      ``mscale_all_dim`` (mscale(s, k) = 0.1·k·ln s + 1, 1 for s ≤ 1): DeepSeek-V2/V3 and Mistral 4 put this
      part of YaRN's temperature into the softmax scale. It is a fact of the model, not of the dict:
      Ministral 3 ships the same keys and does not;
    * 1 + β·ln(1 + ⌊m/L0⌋) for a ``scaling`` with ``llama_4_scaling_beta`` = β (Ministral 3, Mistral 4;
      L0 = ``original_max_position_embeddings``);
    * 1 + a·ln(1 + ⌊(m + 1)/F⌋) for ``temperature={"attn_scale": a, "floor_scale": F}`` (Llama 4's
      attention temperature tuning on its NoPE layers; config keys ``attn_scale``, ``floor_scale``).
    """


def alibi_slopes(num_heads):
    """``[num_heads]`` slopes: 2^(−8h/n), h = 1…n for n a power of 2; otherwise the interleave rule."""


def alibi_bias(num_heads, q_len, k_len, *, causal=True):
    """``[num_heads, q_len, k_len]``; query i at absolute position k_len − q_len + i.

    Causal: −m·(i−j) for visible keys (up to a per-row constant), −inf for keys after the query.
    ``causal=False``: exactly −m·|i−j|.
    """


def t5_bucket(relative_position, *, bidirectional=True, num_buckets=32, max_distance=128):
    """Integer bucket per ``relative_position = key − query`` (same shape), as mesh-tensorflow/T5."""


def learned_absolute(table, positions):
    """Rows ``table[positions]`` → ``[len(positions), dim]``; a position outside the table is an error."""


def attention(q, k, v, *, scale=None, causal=False, bias=None, slopes=None, q_positions=None, k_positions=None,
              t5_table=None, t5=None):
    """softmax(scale·q·kᵀ + bias)·v with a positional bias, as fused kernels apply it: q ``[batch, heads, L, D]``,
    k ``[batch, kv_heads, S, D]``, v ``[batch, kv_heads, S, Dv]`` (one floating dtype) → ``[batch, heads, L, Dv]`` in
    q's dtype. The bias is **added** to the scaled scores, never scaled:

    * ``scale``: a finite real > 0; None is 1/√D (T5 takes 1.0: pass it);
    * ``bias``: None (no bias); ``"alibi"``: −m_h·|q_pos − k_pos| with ``slopes`` ``[heads]`` (None: ``alibi_slopes(heads)``);
      ``"t5"``: ``t5_table[t5_bucket(k_pos − q_pos, **t5), h]`` with ``t5_table`` ``[num_buckets, heads]`` and ``t5`` a
      dict of ``t5_bucket``'s ``bidirectional`` (default True) and ``max_distance`` (default 128; ``num_buckets`` is the
      table's, and may be repeated); or an additive float array ``[heads or 1, L, S]`` or ``[batch or 1, heads or 1,
      L, S]`` as given, its −inf entries hiding their keys;
    * positions: integer ``q_positions`` ``[L]`` and ``k_positions`` ``[S]``; by default bottom-right,
      S − L + arange(L) and arange(S) (the queries are the last L keys: flash-attn ≥ 2.1). Explicit positions express
      top-left (arange(L)), a KV-cache decode or chunked prefill (cache length + arange(L)) and cross-attention;
    * ``causal=True`` hides the keys with k_pos > q_pos; a query row with no visible key returns 0 (not NaN, not
      the mean of v);
    * grouped-query attention: kv_heads divides heads, query head h reads KV head h // (heads/kv_heads)
      (``repeat_interleave``).

    A case a target cannot express (top-left positions in a kernel without positions, T5, an array) raises
    ``NotImplementedError``: "not provided".
    """
