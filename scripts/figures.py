"""The teaching figures of the docs (docs/figures/*.png), drawn from the project's own definitions.

    pip install -e ".[dev]"
    python scripts/figures.py [--output DIR] [--only NAME,...]

One function per figure (:data:`FIGURES`, name → function; the name is the PNG's file stem), each
returning a matplotlib ``Figure`` computed only through ``spec``, ``proofs`` and the catalogue
``spec/models.json`` — no formula is copied here, so a figure changes when a definition does:

* ``scalers``: θ'_i/θ_i of every scaled ``rope_type`` (``spec.scaling.frequency_model``);
* ``yarn_llama3_bands``: YaRN's and Llama 3's ramps against the wavelength λ_i = 2π/θ_i;
* ``long_term_decay``: RoFormer's bound (``proofs.rope.long_term_decay_bound``) against |Σ_i e^{i(n−m)θ_i}|;
* ``alibi_bias``: ``spec.alibi.alibi_bias`` heatmaps (causal, symmetric, q_len < k_len);
* ``t5_buckets``: the ``spec.t5.t5_bucket`` staircase, bidirectional and causal;
* ``xpos_decay``: xPos's ζ_i^((m−n)/B) and ``spec.xpos.position_limit`` against B;
* ``attention_temperature``: ``spec.attention_scale.attention_scale`` × √D for Llama 4 and Ministral 3;
* ``error_model_validation``: the worst error/tolerance ratios of docs/error-model-validation.md.

The precision-horizon plot has its own script (scripts/precision_horizon.py). The generators are cheap
(well under a second each; tests/meta/test_figures.py renders every one).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import matplotlib

matplotlib.use("Agg")
import matplotlib.patches
import matplotlib.ticker
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from proofs import rope as rope_proofs
from proofs import xpos as xpos_proofs
from spec import (
    alibi,
    attention_scale,
    models,
    phases,
    rope_parameters,
    t5,
    validation,
    xpos,
)
from spec.scaling import correction_dim, frequency_model

OUTPUT = ROOT / "docs" / "figures"
VALIDATION = ROOT / "docs" / "error-model-validation.md"
SIZE = (7.0, 4.0)
DPI = 110

D, BASE = 128, 500000.0
#: The representative configuration of each scaled rope_type in the ``scalers`` figure: (scaling, seq_len, label).
CONFIGS = {
    "linear": ({"rope_type": "linear", "factor": 8.0}, None, "linear s=8"),
    "ntk": ({"rope_type": "ntk", "factor": 8.0}, None, "ntk s=8"),
    "dynamic": ({"rope_type": "dynamic", "factor": 8.0, "original_max_position_embeddings": 4096}, 32768,
                "dynamic s=8, L0=4096, L=32768"),
    "ntk_alpha": ({"rope_type": "ntk_alpha", "alpha": 1000.0}, None, "ntk_alpha α=1000 (HunYuan)"),
    "yarn": ({"rope_type": "yarn", "factor": 8.0, "original_max_position_embeddings": 4096}, None,
             "yarn s=8, L0=4096"),
    "llama3": ({"rope_type": "llama3", "factor": 8.0, "original_max_position_embeddings": 8192, "low_freq_factor": 1.0,
                "high_freq_factor": 4.0}, None, "llama3 s=8, L0=8192"),
    "proportional": ({"rope_type": "proportional", "partial_rotary_factor": 0.25, "factor": 1.0}, None,
                     "proportional p=0.25 (Gemma 4)"),
    "seed_scale": ({"rope_type": "seed_scale", "alpha": 0.5}, None, "seed_scale α=0.5"),
    "seed_power": ({"rope_type": "seed_power", "alpha": 1.2}, None, "seed_power α=1.2"),
    "seed_polynomial": ({"rope_type": "seed_polynomial", "alpha": 4.0, "beta": 2.0}, None, "seed_polynomial α=4, β=2"),
    "reverse_extrapolation": ({"rope_type": "reverse_extrapolation", "original_max_position_embeddings": 4096}, 32768,
                              "reverse_extrapolation L0=4096, L=32768"),
}
LONGROPE_MODEL = "phi-3-mini-128k-instruct-main"
#: YaRN's default β_fast and β_slow (32 and 1), whose correction dims bound its ramp.
YARN_BETA_FAST, YARN_BETA_SLOW = (rope_parameters.ROPE_TYPES["yarn"][key] for key in ("beta_fast", "beta_slow"))


def _figure(ncols=1, nrows=1, size=SIZE, **kwargs):
    figure, axes = plt.subplots(nrows, ncols, figsize=size, **kwargs)
    return figure, axes


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _decade(value, _position=None):
    """A log axis's major label as plain text (10⁻³): no mathtext, whose first parse costs more than the plot."""
    if value <= 0:
        return ""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return f"{value:g}"
    return "1" if round(exponent) == 0 else "10" if round(exponent) == 1 else f"10{str(round(exponent)).translate(_SUPERSCRIPT)}"


def _plain_log_labels(figure):
    """Every log axis of ``figure`` that still has matplotlib's default (mathtext) labels gets :func:`_decade`; log
    axes spanning three decades or more lose their minor ticks (noise at that range, and a third of the drawing time)."""
    for ax in figure.axes:
        for axis, (low, high) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            if axis.get_scale() != "log":
                continue
            if isinstance(axis.get_major_formatter(), matplotlib.ticker.LogFormatter):
                axis.set_major_formatter(matplotlib.ticker.FuncFormatter(_decade))
                axis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            if max(low, high) >= 1e3 * min(low, high):
                axis.set_minor_locator(matplotlib.ticker.NullLocator())


def _fraction_ticks(ax, low, high):
    """A log y-axis over a narrow range, labelled 1, 1/2, 1/4, 1/8 (no minor labels)."""
    ax.set_yscale("log")
    ax.set_ylim(low, high)
    ticks = [2.0**-k for k in range(8) if low <= 2.0**-k <= high]
    ax.set_yticks(ticks, ["1" if t == 1 else f"1/{round(1 / t)}" for t in ticks])
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def _ratio(rotary_dim, base, scaling, seq_len=None):
    """θ'_i/θ_i of a configuration (the plain model's θ_i from the same function)."""
    return frequency_model(rotary_dim, base, scaling, seq_len).theta / frequency_model(rotary_dim, base).theta


def _wavelengths(rotary_dim, base):
    return 2 * np.pi / frequency_model(rotary_dim, base).theta


def _yarn_band(scaling, rotary_dim=D, base=BASE):
    """(low, high): the correction dims of β_fast/β_slow before ``truncate=True`` floors/ceils them."""
    original = scaling["original_max_position_embeddings"]
    low = correction_dim(YARN_BETA_FAST, rotary_dim, base, original)
    high = correction_dim(YARN_BETA_SLOW, rotary_dim, base, original)
    return float(low), float(high)


def _longrope():
    """(rotary_dim, base, scaling, L0, note): Phi-3-mini-128k's factors from the catalogue (``spec.models``), else a
    smooth ramp 1…64 as long factors (short factors 1) at d = 128."""
    try:
        layer = models.model(LONGROPE_MODEL).rope[0]
        rotary_dim, base, scaling = layer.rotary_dim, layer.base, layer.scaling
        note = f"Phi-3-mini-128k (d={rotary_dim}, b={base:g})"
    except (ValueError, KeyError, IndexError):
        rotary_dim, base, note = D, BASE, "synthetic ramp 1…64 (no catalogue entry)"
        scaling = {"rope_type": "longrope", "factor": 32.0, "original_max_position_embeddings": 4096,
                   "short_factor": [1.0] * (D // 2), "long_factor": list(np.geomspace(1.0, 64.0, D // 2))}
    original = rope_parameters.normalise(scaling, rotary_dim, None)["original_max_position_embeddings"]
    return rotary_dim, base, scaling, original, note


def scalers() -> Figure:
    """θ'_i/θ_i against the pair index i for every ``rope_type`` of ``spec.rope_parameters.ROPE_TYPES`` but
    "default" (d = 128, base 5·10⁵), in four panels: the uniform and NTK family (linear, ntk, dynamic, ntk_alpha);
    the band-wise blends (yarn with its correction band shaded, llama3 with its blend band shaded); longrope
    (Phi-3-mini-128k's short and long factors at its own d = 96, base 10⁴, from spec/models.json) and
    proportional (zero frequencies drawn as markers on the bottom edge); and the suite's extensions (seed_scale,
    seed_power, seed_polynomial, reverse_extrapolation) in the fourth panel."""
    figure, axes = _figure(2, 2, size=(8.0, 5.6), sharex=False)
    pairs = np.arange(D // 2)
    drawn = set()

    def draw(ax, name, **style):
        scaling, seq_len, label = CONFIGS[name]
        ax.plot(pairs, _ratio(D, BASE, scaling, seq_len), label=label, **style)
        drawn.add(name)

    ax = axes[0, 0]
    for name, style in (("linear", "-"), ("ntk", "--"), ("dynamic", "-."), ("ntk_alpha", ":")):
        draw(ax, name, linestyle=style, linewidth=1.6)
    ax.set_title("uniform and NTK-style", fontsize=9)

    ax = axes[0, 1]
    draw(ax, "yarn", color="C0", linewidth=1.6)
    draw(ax, "llama3", color="C3", linewidth=1.6, linestyle="--")
    low, high = _yarn_band(CONFIGS["yarn"][0])
    ax.axvspan(max(math.floor(low), 0), min(math.ceil(high), D - 1), color="C0", alpha=0.12,
               label=f"yarn ramp ⌊{low:.1f}⌋…⌈{high:.1f}⌉")
    llama = CONFIGS["llama3"][0]
    original = llama["original_max_position_embeddings"]
    wavelength = _wavelengths(D, BASE)
    band = pairs[(wavelength >= original / llama["high_freq_factor"]) & (wavelength <= original / llama["low_freq_factor"])]
    ax.axvspan(band[0] - 0.5, band[-1] + 0.5, color="C3", alpha=0.15, hatch="//", fill=False,
               label=f"llama3 blend: L0/{llama['high_freq_factor']:g} ≤ λ ≤ L0/{llama['low_freq_factor']:g}")
    ax.set_title("band-wise blends (shaded: their ramps)", fontsize=9)

    ax = axes[1, 0]
    rotary_dim, base, scaling, original, note = _longrope()
    index = np.arange(rotary_dim // 2)
    ax.plot(index, _ratio(rotary_dim, base, scaling, original), color="C2", label=f"longrope short ({note})")
    ax.plot(index, _ratio(rotary_dim, base, scaling, 2 * original), color="C2", linestyle="--",
            label="longrope long (seq_len > L0)")
    drawn.add("longrope")
    scaling_p, _, label_p = CONFIGS["proportional"]
    ratio = _ratio(D, BASE, scaling_p)
    rotated = ratio > 0
    ax.plot(pairs[rotated], ratio[rotated], color="C4", marker=".", markersize=3, linestyle="-", label=label_p)
    ax.plot(pairs[~rotated], np.full((~rotated).sum(), 1e-3), color="C4", marker="v", markersize=3, linestyle="none",
            clip_on=False, label="proportional: θ' = 0 (drawn at the bottom)")
    drawn.add("proportional")
    ax.set_title("per-pair factors and partial rotation", fontsize=9)

    ax = axes[1, 1]
    for name, style in (("seed_scale", "-"), ("seed_power", "--"), ("seed_polynomial", "-."),
                        ("reverse_extrapolation", ":")):
        draw(ax, name, linestyle=style, linewidth=1.6)
    ax.set_title("suite extensions (seed_*, reverse_extrapolation)", fontsize=9)

    missing = set(rope_parameters.ROPE_TYPES) - {"default"} - drawn
    if missing:
        raise ValueError(f"scalers figure lacks a configuration for rope_type(s) {sorted(missing)}")
    for ax, where in zip(axes.flat, ("lower left", "lower left", "upper right", "upper left")):
        ax.set_yscale("log")
        ax.set_xlabel("pair index i", fontsize=8)
        ax.set_ylabel("θ'ᵢ / θᵢ", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=6, loc=where)
    _fraction_ticks(axes[0, 1], 0.09, 1.6)
    axes[1, 0].set_ylim(1e-3, 60)
    axes[1, 1].set_ylim(0.08, 40)
    figure.suptitle(f"Scaled RoPE frequencies relative to plain RoPE (d={D}, base {BASE:g} unless noted)", fontsize=10)
    _plain_log_labels(figure)
    figure.tight_layout()
    return figure


def yarn_llama3_bands() -> Figure:
    """A zoom on the ramps: θ'/θ (linear y) against the wavelength λ_i = 2π/θ_i (log x; d = 128, base 5·10⁵). YaRN
    (s = 8, L0 = 4096, β_fast 32, β_slow 1) with ``truncate`` True and False and its thresholds L0/β; Llama 3 (s = 8,
    L0 = 8192, low 1, high 4) with L0/high and L0/low. YaRN's ramp is linear in the pair index, i.e. in ln λ (a straight
    line here); Llama 3's σ is linear in L0/λ (a curve)."""
    figure, (left, right) = _figure(2, 1, sharey=True)
    wavelength = _wavelengths(D, BASE)
    yarn = CONFIGS["yarn"][0]
    for truncate, style, marker in ((True, "-", "o"), (False, "--", ".")):
        left.plot(wavelength, _ratio(D, BASE, {**yarn, "truncate": truncate}), linestyle=style, marker=marker,
                  markersize=3.5 if truncate else 3, markerfacecolor="none" if truncate else None,
                  label=f"truncate={truncate}" + (" (⌊low⌋, ⌈high⌉)" if truncate else ""))
    original = yarn["original_max_position_embeddings"]
    marks = [(left, original / YARN_BETA_FAST, "L0/β_fast"), (left, original / YARN_BETA_SLOW, "L0/β_slow")]
    left.set_title(f"YaRN s={yarn['factor']:g}, L0={original}", fontsize=9)
    left.set_xlim(original / YARN_BETA_FAST / 4, original / YARN_BETA_SLOW * 4)

    llama = CONFIGS["llama3"][0]
    original = llama["original_max_position_embeddings"]
    right.plot(wavelength, _ratio(D, BASE, llama), color="C3", marker=".", markersize=4, label="llama3")
    marks += [(right, original / llama["high_freq_factor"], "L0/high"), (right, original / llama["low_freq_factor"], "L0/low")]
    right.set_title(f"Llama 3.1 s={llama['factor']:g}, L0={original}, low 1, high 4", fontsize=9)
    right.set_xlim(original / llama["high_freq_factor"] / 4, original / llama["low_freq_factor"] * 4)
    for k, (ax, at, name) in enumerate(marks):
        ax.axvline(at, color="grey", linestyle=":")
        ax.text(at, 0.55, f" {name} = {at:g} ", fontsize=7, rotation=90, ha="right" if k % 2 == 0 else "left",
                va="center", color="dimgrey")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_ylim(0, 1.08)
        ax.set_xlabel("wavelength λᵢ = 2π/θᵢ (positions)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
    left.set_yticks([0, 0.125, 0.25, 0.5, 0.75, 1], ["0", "1/8", "1/4", "1/2", "3/4", "1"])
    left.set_ylabel("θ'ᵢ / θᵢ", fontsize=8)
    figure.suptitle(f"Where the ramps sit in wavelength (d={D}, base {BASE:g})", fontsize=10)
    _plain_log_labels(figure)
    figure.tight_layout()
    return figure


def long_term_decay() -> Figure:
    """RoFormer's long-term decay (d = 128, base 10⁴, h_i = 1): the bound ``proofs.rope.long_term_decay_bound``
    max|Δh|·Σ|S_{i+1}| and the observed |Σ_i h_i e^{i(n−m)θ_i}|, both divided by d/2, over n − m = 1…4096
    (phases from ``spec.phases.reduced_phases``)."""
    dim, base = 128, 10000.0
    distance = np.arange(1, 4097)
    phase = phases.reduced_phases(distance, dim, base)
    h = np.ones(dim // 2, dtype=complex)
    bound = rope_proofs.long_term_decay_bound(h, phase) / (dim // 2)
    observed = np.abs((h * np.exp(1j * phase)).sum(-1)) / (dim // 2)
    figure, ax = _figure()
    ax.plot(distance, observed, color="C1", linewidth=0.6, alpha=0.8, label="observed |Σᵢ hᵢ·exp(i(n−m)θᵢ)| / (d/2)")
    ax.plot(distance, bound, color="C0", linewidth=1.6, label="bound max|Δh|·Σᵢ|Sᵢ₊₁| / (d/2)")
    # The bound is not monotone: point at its first rise of more than 5 % above a preceding local minimum.
    minima = np.flatnonzero((bound[1:-1] < bound[:-2]) & (bound[1:-1] < bound[2:])) + 1
    for low in minima:
        later = low + int(np.argmax(bound[low:low + 64]))
        if bound[later] > 1.05 * bound[low]:
            ax.annotate(f"rises again after n − m = {distance[low]}:\nan envelope, not monotone",
                        xy=(distance[later], bound[later]), xytext=(2, 2.5), fontsize=8,
                        arrowprops={"arrowstyle": "->", "color": "grey"})
            break
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("relative distance n − m (positions)")
    ax.set_ylabel("relative magnitude (÷ d/2)")
    ax.set_title(f"RoPE long-term decay, h = 1 (d={dim}, base {base:g})", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    _plain_log_labels(figure)
    figure.tight_layout()
    return figure


def alibi_bias() -> Figure:
    """``spec.alibi.alibi_bias`` of head 0 of 8 (slope 1/2): causal 16×16, symmetric 16×16 and the KV-cache case
    q_len 4 < k_len 16 (queries at the last positions); −inf entries in a masked colour."""
    heads = 8
    cases = (("causal, 16 × 16", 16, 16, True), ("symmetric (causal=False)", 16, 16, False),
             ("KV cache: q_len 4, k_len 16", 4, 16, True))
    biases = [alibi.alibi_bias(heads, q, k, causal=causal)[0] for _, q, k, causal in cases]
    lowest = min(b[np.isfinite(b)].min() for b in biases)
    cmap = plt.get_cmap("viridis").with_extremes(bad="lightgrey")
    figure, axes = _figure(3, 1, layout="constrained")
    image = None
    for ax, (title, q_len, k_len, _), bias in zip(axes, cases, biases):
        image = ax.imshow(np.ma.masked_invalid(bias), cmap=cmap, vmin=lowest, vmax=0, aspect="equal",
                          extent=(-0.5, k_len - 0.5, alibi.query_positions(q_len, k_len)[-1] + 0.5,
                                  alibi.query_positions(q_len, k_len)[0] - 0.5))
        ax.set_title(title, fontsize=8)
        ax.set_yticks(alibi.query_positions(q_len, k_len)[::max(1, q_len // 4)])
        ax.set_xlabel("key position j", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel("query position i₀", fontsize=8)
    bar = figure.colorbar(image, ax=list(axes), shrink=0.6)
    bar.set_label("bias −m·|i₀ − j| (grey: −inf, masked)", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    slope = alibi.alibi_slopes(heads)[0]
    figure.suptitle(f"ALiBi bias, head 0 of {heads} (slope m = {slope:g})", fontsize=10)
    _plain_log_labels(figure)
    return figure


def t5_buckets() -> Figure:
    """``spec.t5.t5_bucket`` over relative positions (key − query) −300…300, 32 buckets, max_distance 128,
    bidirectional and causal, with ±max_exact and ±max_distance marked."""
    relative = np.arange(-300, 301)
    figure, axes = _figure(2, 1, sharey=True)
    for ax, bidirectional in zip(axes, (True, False)):
        exact, also = t5.t5_bucket(relative, bidirectional=bidirectional, num_buckets=32, max_distance=128)
        buckets, max_exact = validation.t5_bucket_args(relative, bidirectional, 32, 128)
        ax.step(relative, exact, where="mid", color="C0", linewidth=1.2, label="bucket")
        differs = also != exact
        if differs.any():
            ax.plot(relative[differs], also[differs], "x", color="C3", markersize=4,
                    label="also accepted (log coordinate at an integer)")
        for at, name, style in ((max_exact, "max_exact", "--"), (128, "max_distance", ":")):
            for sign in ((-1, 1) if bidirectional else (-1,)):
                ax.axvline(sign * at, color="grey", linestyle=style, linewidth=0.9,
                           label=f"±{name} = {at}" if sign == -1 and bidirectional else
                           (f"−{name} = −{at}" if sign == -1 else None))
        ax.set_title(f"bidirectional={bidirectional} ({buckets} buckets, max_exact {max_exact})", fontsize=9)
        ax.set_xscale("symlog", linthresh=16, linscale=1.0)
        ax.set_xticks([-300, -128, -64, -32, -16, -8, 0, 8, 16, 32, 64, 128, 300])
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xlabel("relative position (key − query), symlog", fontsize=8)
        ax.tick_params(labelsize=6)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=6, loc="upper left" if bidirectional else "upper right")
    axes[0].set_ylabel("bucket", fontsize=8)
    figure.suptitle("T5 relative-position buckets (num_buckets 32, max_distance 128)", fontsize=10)
    _plain_log_labels(figure)
    figure.tight_layout()
    return figure


def mrope_axes() -> Figure:
    """``spec.rope_parameters.mrope_axes``: the row (t, h, w) each frequency pair follows, chunked (Qwen2-VL) and
    interleaved (Qwen3-VL), for shipped sections — [8, 12, 12] on 32 pairs shows the interleaved counts clamped
    to 11/11/10 (``proofs.mrope.interleaved_counts``)."""
    cases = (("Qwen2-VL chunked [16, 24, 24]", (16, 24, 24), False), ("Qwen3-VL interleaved [24, 20, 20]", (24, 20, 20), True),
             ("interleaved [16, 24, 24]", (16, 24, 24), True), ("interleaved [8, 12, 12] (32 pairs)", (8, 12, 12), True))
    cmap = matplotlib.colors.ListedColormap(["#4C72B0", "#DD8452", "#55A868"])
    figure, axes = _figure(1, len(cases), size=(7.0, 3.2))
    for ax, (title, section, interleaved) in zip(axes, cases):
        axes_map = np.array(rope_parameters.mrope_axes(section, interleaved, sum(section)))[None, :]
        ax.imshow(axes_map, cmap=cmap, vmin=0, vmax=2, aspect="auto", extent=(-0.5, sum(section) - 0.5, 0, 1))
        counts = np.bincount(axes_map[0], minlength=3)
        ax.set_title(f"{title}: t/h/w = {'/'.join(map(str, counts))}", fontsize=8, loc="left")
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
    axes[-1].set_xlabel("pair index i (frequency θ_i = b^(−2i/d), highest first)", fontsize=8)
    handles = [matplotlib.patches.Patch(color=cmap(k), label=name) for k, name in enumerate(("t (time)", "h (height)", "w (width)"))]
    figure.legend(handles=handles, loc="upper right", fontsize=7, ncols=3)
    figure.suptitle("Multi-axis RoPE: the position row each pair follows", fontsize=10, x=0.02, ha="left")
    figure.tight_layout(rect=(0, 0, 1, 0.93))
    return figure


def xpos_decay() -> Figure:
    """xPos: ζ_i^((m−n)/B) for a few pairs (d = 128, B = 512, ``spec.xpos.scales`` of a query at m − n, n = 0; ζ_i from
    ``proofs.xpos.zeta``) over m − n = 0…4096, and ``spec.xpos.position_limit`` for float16, bfloat16 and float32
    (pairs of magnitude 1) against B."""
    dim, scale_base = 128, 512.0
    distance = np.arange(0, 4097, 8)
    factors = xpos.scales(distance, dim, scale_base, "query")
    zeta = xpos_proofs.zeta()
    figure, (left, right) = _figure(2, 1)
    for i in (0, 16, 32, 48, 63):
        left.plot(distance, factors[:, i], label=f"i={i}, ζ={float(zeta(i, dim)):.3f}")
    left.set_yscale("log")
    left.set_xlabel("distance m − n (positions)", fontsize=8)
    left.set_ylabel("score factor ζᵢ^((m−n)/B)", fontsize=8)
    left.set_title(f"decay per pair (d={dim}, B={scale_base:g})", fontsize=9)
    left.legend(fontsize=7)
    bases = np.geomspace(32, 8192, 25)
    for dtype, style in (("float16", "-"), ("bfloat16", "--"), ("float32", ":")):
        right.plot(bases, [xpos.position_limit(dtype, float(b), 1.0) for b in bases], linestyle=style, label=dtype)
    right.axvline(scale_base, color="grey", linestyle=":", linewidth=0.9)
    for dtype in ("float16", "float32"):
        limit = xpos.position_limit(dtype, scale_base, 1.0)
        right.annotate(f"{dtype}, B={scale_base:g}: |m| ≤ {limit}", xy=(scale_base, limit), xytext=(6, -12),
                       textcoords="offset points", fontsize=7)
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("scale_base B", fontsize=8)
    right.set_ylabel("largest |m| with finite, normal scales", fontsize=8)
    right.set_title("overflow/underflow limit (|x| ≤ 1)", fontsize=9)
    right.legend(fontsize=7)
    for ax in (left, right):
        ax.tick_params(labelsize=7)
        ax.grid(True, which="major", alpha=0.3)
    figure.suptitle("xPos: exponential decay and where it leaves the dtype", fontsize=10)
    _plain_log_labels(figure)
    figure.tight_layout()
    return figure


def attention_temperature() -> Figure:
    """``spec.attention_scale.attention_scale`` × √D (head_dim 1) against the position 1…10⁷: Llama 4's attention
    temperature (attn_scale 0.1, floor_scale 8192) and Ministral 3's llama_4_scaling_beta 0.1 (yarn s = 16,
    L0 16384)."""
    positions = np.unique(np.geomspace(1, 1e7, 1500).astype(np.int64))
    llama4 = attention_scale.attention_scale(positions, 1, temperature={"attn_scale": 0.1, "floor_scale": 8192})
    ministral = attention_scale.attention_scale(positions, 1, scaling={
        "rope_type": "yarn", "factor": 16.0, "original_max_position_embeddings": 16384, "llama_4_scaling_beta": 0.1})
    figure, ax = _figure()
    ax.step(positions, llama4, where="post", label="Llama 4: temperature attn_scale 0.1, floor_scale F = 8192")
    ax.step(positions, ministral, where="post", linestyle="--",
            label="Ministral 3: llama_4_scaling_beta 0.1, L0 = 16384 (yarn s = 16)")
    for at, color in ((8191, "C0"), (16384, "C1")):  # proofs.attention_scale: kF − c, c = 1 for Llama 4, 0 for Ministral 3
        ax.axvline(at, color=color, linestyle=":", linewidth=0.9)
    ax.set_xscale("log")
    ax.set_xlabel("query position m")
    ax.set_ylabel("attention scale × √D")
    ax.set_title("Position-dependent attention temperature (first steps at F − 1 and L0, dotted)", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    _plain_log_labels(figure)
    figure.tight_layout()
    return figure


def validation_rows(path: Path = VALIDATION) -> list[tuple[str, str, str, str, float]]:
    """(function, property, target, dtype, worst error/tolerance) of every row of the tables in ``path``
    (docs/error-model-validation.md, written by scripts/validate_error_model.py)."""
    rows, function, columns = [], None, None
    for line in path.read_text().splitlines():
        heading = re.match(r"^## `(.+)`", line)
        if heading:
            function, columns = heading.group(1), None
            continue
        if not line.startswith("|") or function is None:
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if columns is None:
            columns = cells
            continue
        if set(line) <= set("|-: ") or not {"property", "target", "dtype", "ratio"} <= set(columns):
            continue
        row = dict(zip(columns, cells))
        value = row["ratio"].replace("∞", "inf")
        rows.append((function, row["property"], row["target"], row["dtype"], float(value)))
    if not rows:
        raise ValueError(f"{path} has no ratio tables (run scripts/validate_error_model.py)")
    return rows


def error_model_validation(rows=None) -> Figure:
    """The worst observed |error| / tolerance of every row (tolerance function × property × target × dtype) of
    docs/error-model-validation.md — parsed from its tables (``validation_rows``; the script that writes them samples
    for about a minute, so the figure reads its result rather than rerunning it). Left: a histogram (log x) coloured
    by dtype; right: each target × dtype's rows. The tolerance is at 1; rows where every entry was exact (ratio 0)
    are counted in the legend, off the log axis. ``rows`` may be given as (function, property, target, dtype, ratio)."""
    rows = validation_rows() if rows is None else list(rows)
    dtypes = [d for d in ("float64", "float32", "float16", "bfloat16") if any(r[3] == d for r in rows)]
    dtypes += sorted({r[3] for r in rows} - set(dtypes))
    targets = list(dict.fromkeys(r[2] for r in rows))
    ratios = np.array([r[4] for r in rows])
    # An infinite ratio (an exact entry that is not exact) is drawn at the right edge.
    positive = ratios[(ratios > 0) & np.isfinite(ratios)]
    lo = min(1e-3, positive.min() / 1.5) if positive.size else 1e-3
    hi = max(2.0, positive.max() * 1.5) if positive.size else 2.0
    bins = np.geomspace(lo, hi, 30)
    figure, (left, right) = _figure(2, 1, gridspec_kw={"width_ratios": [1.1, 1]})
    stacked = [np.clip([r[4] for r in rows if r[3] == d and r[4] > 0], lo, hi) for d in dtypes]
    exact = {d: sum(1 for r in rows if r[3] == d and r[4] == 0) for d in dtypes}
    labels = [f"{d} (+{exact[d]} exact, ratio 0)" if exact[d] else d for d in dtypes]
    left.hist(stacked, bins=bins, stacked=True, label=labels, color=[f"C{k}" for k in range(len(dtypes))])
    left.set_xlabel("worst |error| / tolerance per row", fontsize=8)
    left.set_ylabel("rows (function × property × target)", fontsize=8)
    left.set_title(f"{len(rows)} rows", fontsize=9)
    groups = [(t, d) for t in targets for d in dtypes if any(r[2] == t and r[3] == d for r in rows)]
    for y, (target, dtype) in enumerate(groups):
        values = np.array([r[4] for r in rows if r[2] == target and r[3] == dtype])
        values = values[values > 0]
        right.plot(values, np.full(values.shape, y), "o", markersize=3.5, alpha=0.7, color=f"C{dtypes.index(dtype)}")
    right.set_yticks(range(len(groups)), [f"{t} {d}" for t, d in groups], fontsize=7)
    right.invert_yaxis()
    right.set_xlabel("worst |error| / tolerance", fontsize=8)
    right.set_title("per target and dtype", fontsize=9)
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        ax.axvline(1.0, color="black", linestyle="--", linewidth=1.0, label="tolerance (ratio 1)" if ax is left else None)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(True, axis="x", alpha=0.3)
    left.tick_params(axis="y", labelsize=7)
    left.legend(fontsize=7, loc="upper left")
    worst = max(rows, key=lambda r: r[4])
    figure.suptitle(f"Error-model validation: worst ratio {worst[4]:.2g} ({worst[2]} {worst[3]}, {worst[0]})", fontsize=10)
    _plain_log_labels(figure)
    figure.tight_layout()
    return figure


FIGURES = {
    "scalers": scalers,
    "yarn_llama3_bands": yarn_llama3_bands,
    "long_term_decay": long_term_decay,
    "alibi_bias": alibi_bias,
    "t5_buckets": t5_buckets,
    "mrope_axes": mrope_axes,
    "xpos_decay": xpos_decay,
    "attention_temperature": attention_temperature,
    "error_model_validation": error_model_validation,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="folder for the PNGs (default docs/figures)")
    parser.add_argument("--only", default="", help=f"comma-separated names among {', '.join(FIGURES)}")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(FIGURES)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}; choose among {', '.join(FIGURES)}")
    args.output.mkdir(parents=True, exist_ok=True)
    for name in names:
        figure = FIGURES[name]()
        path = args.output / f"{name}.png"
        figure.savefig(path, dpi=DPI)
        plt.close(figure)
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
