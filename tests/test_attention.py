"""Attention properties (``attention``): positional biases inside softmax(s)·V, from ``proofs/attention.py`` and the
exact oracle ``spec/attention.py``.

One example is one call on a whole batch of heads and rows: q ``[B, H, L, D]``, k and v ``[B, H/g, S, ·]`` drawn from a
seeded generator and rounded to the dtype (the oracle reads the rounded values); biases ALiBi (default or explicit
slopes: a tensor-parallel rank's slice of a larger head count), T5 (a random table; where the exact bucket is ambiguous
in floating point, ``spec.t5``, the two buckets' rows are made equal, so either is right), an additive array with
−inf entries, or none; positions default (bottom-right), top-left, offset (a KV cache, a chunk, large positions) or
scattered (cross-attention, packed rows). Slopes, tables and arrays are rounded to the dtype and handed over in the
working precision (float64 for float64, float32 otherwise). Tolerances: ``spec.error_model.attention_error`` (and
``attention_probability_error`` for the probe); a reference-free property compares two calls of the target, each
within its bound of the same exact value, so their bounds add.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.errors import UnsatisfiedAssumption

from proofs import attention as proofs
from spec import attention, error_model
from spec.targets import split_target_option
from tests.checks import assert_exact, assert_within, call, conformance
from tests.strategies import exactly_in

MODEL = "error_model.attention_error: 2·[Σ p·E·|v| + (Σ p·E)·Σ p|v| + (3γ_n + 4u_w + u_s)·Σ p|v| + u_s|o| + τ·Σ|v|]"
PROBE_MODEL = "error_model.attention_probability_error: 2·(E_ij + Σ p·E + 3γ_n + 4u_w + 2u_s), relative, per probability"
POSITION_KINDS = ("default", "top-left", "offset", "scattered")
BIASES = (None, "alibi", "t5", "array")
#: Offsets of explicit positions: small, a KV cache of a few thousand, or far (past float16's 2048 and bfloat16's 256).
offsets = st.one_of(st.integers(0, 16), st.integers(0, 4096), st.integers(0, 2**21))


@dataclass(frozen=True)
class Case:
    """One attention call's shape and options; its data comes from ``seed`` (see :func:`inputs`)."""

    batch: int
    heads: int
    kv_heads: int
    q_len: int
    k_len: int
    head_dim: int
    value_dim: int
    causal: bool
    bias: str | None
    positions: str
    q_offset: int
    k_offset: int
    scale: float | None
    rank: int | None  # explicit slopes: this tensor-parallel rank's slice of alibi_slopes(heads·ranks); None: default
    ranks: int
    t5: tuple | None  # (bidirectional, num_buckets, max_distance)
    seed: int
    q_exponent: int
    masked: float = 0.1  # fraction of −inf entries in an array bias

    @property
    def groups(self) -> int:
        return self.heads // self.kv_heads


@st.composite
def t5_configs(draw):
    """(bidirectional, num_buckets, max_distance): every valid combination, max_distance up to 160."""
    bidirectional = draw(st.booleans())
    buckets = draw(st.integers(4 if bidirectional else 2, 32))
    max_exact = (buckets // 2 if bidirectional else buckets) // 2
    return bidirectional, buckets, draw(st.integers(max_exact + 1, 160))


@st.composite
def cases(draw, biases=BIASES, causal=None, positions=POSITION_KINDS, max_q: int = 8, max_k: int = 12, groups=(1, 2, 3),
          min_k: int = 1, min_q: int = 1, min_kv: int = 1):
    kv_heads = draw(st.integers(min_kv, 3))
    k_len = draw(st.integers(min_k, max_k))
    bias = draw(st.sampled_from(biases))
    t5 = draw(t5_configs()) if bias == "t5" else None
    heads = kv_heads * draw(st.sampled_from(groups))
    explicit_slopes = bias == "alibi" and draw(st.booleans())
    return Case(
        batch=draw(st.integers(1, 2)), heads=heads, kv_heads=kv_heads, q_len=draw(st.integers(min_q, max_q)), k_len=k_len,
        head_dim=draw(st.integers(1, 16)), value_dim=draw(st.integers(1, 8)),
        causal=draw(st.booleans()) if causal is None else causal, bias=bias, positions=draw(st.sampled_from(positions)),
        q_offset=draw(offsets), k_offset=draw(offsets),
        scale=draw(st.sampled_from((None, 1.0, 0.125)) | st.floats(0.05, 2.0)),
        rank=draw(st.integers(0, 3)) if explicit_slopes else None, ranks=4, t5=t5,
        seed=draw(st.integers(0, 2**32 - 1)), q_exponent=draw(st.integers(-2, 2)),
    )


@dataclass
class Inputs:
    """Exact float64 values of one call (what the target receives, rounded to the dtype) and its options."""

    q: np.ndarray
    k: np.ndarray
    v: np.ndarray
    options: dict = field(default_factory=dict)

    def replace(self, **changes) -> Inputs:
        fields = {"q": self.q, "k": self.k, "v": self.v, "options": dict(self.options)}
        options = changes.pop("options", {})
        fields.update(changes)
        fields["options"].update(options)
        return Inputs(**fields)


def carrier(dtype: str) -> str:
    """The dtype slopes, tables and bias arrays are handed over in: the working precision."""
    return error_model.attention_working_dtype(dtype)


def positions_of(case: Case, rng) -> tuple[np.ndarray | None, np.ndarray | None]:
    L, S = case.q_len, case.k_len
    if case.positions == "default":
        return None, None
    if case.positions == "top-left":
        return np.arange(L, dtype=np.int64), np.arange(S, dtype=np.int64)
    if case.positions == "offset":
        return case.q_offset + np.arange(L, dtype=np.int64), case.k_offset + np.arange(S, dtype=np.int64)
    span = max(L, S) + 8
    return (case.q_offset + np.sort(rng.choice(span, L, replace=False)).astype(np.int64),
            case.q_offset + np.sort(rng.choice(span, S, replace=False)).astype(np.int64))


def tie_ambiguous_buckets(table: np.ndarray, q_positions, k_positions, t5) -> np.ndarray:
    """Make the rows of every bucket pair (exact, also acceptable) equal, so either bucket gives the same bias."""
    exact, also = attention.t5_buckets(q_positions, k_positions, t5)
    table = table.copy()
    for low, high in sorted({(min(a, b), max(a, b)) for a, b in zip(exact.ravel(), also.ravel()) if a != b}):
        table[high] = table[low]
    return table


def inputs(case: Case, dtype: str) -> Inputs:
    rng = np.random.default_rng(case.seed)
    B, H, Hkv, L, S = case.batch, case.heads, case.kv_heads, case.q_len, case.k_len
    q = exactly_in(rng.standard_normal((B, H, L, case.head_dim)) * 2.0**case.q_exponent, dtype)
    k = exactly_in(rng.standard_normal((B, Hkv, S, case.head_dim)), dtype)
    v = exactly_in(rng.standard_normal((B, Hkv, S, case.value_dim)), dtype)
    qp, kp = positions_of(case, rng)
    options = {"causal": case.causal, "scale": case.scale}
    if qp is not None:
        options.update(q_positions=qp, k_positions=kp)
    if case.bias is not None:
        options["bias"] = case.bias
    if case.bias == "alibi" and case.rank is not None:
        every = np.asarray(attention.alibi_slopes(H * case.ranks), np.float64)
        options["slopes"] = exactly_in(every[case.rank * H:(case.rank + 1) * H], dtype)
    elif case.bias == "t5":
        used_q, used_k = attention.default_positions(L, S) if qp is None else (qp, kp)
        table = exactly_in(rng.standard_normal((case.t5[1], H)) * 2, dtype)
        options["t5_table"] = tie_ambiguous_buckets(table, used_q, used_k, case.t5)
        options["t5"] = {"bidirectional": case.t5[0], "max_distance": case.t5[2]}
    elif case.bias == "array":
        shape = (B, H, L, S) if rng.random() < 0.5 else (H, L, S)
        values = np.round(rng.standard_normal(shape) * 2 * 256) / 256  # dyadic: a row constant adds exactly
        options["bias"] = np.where(rng.random(shape) < case.masked, -np.inf, exactly_in(values, dtype))
    return Inputs(q, k, v, options)


def observe(target, dtype: str, values: Inputs) -> np.ndarray:
    """The target's output as float64 (checked: a native array of q's shape but Dv, in q's dtype)."""
    native = {}
    for name, value in values.options.items():
        if isinstance(value, np.ndarray):
            value = target.asarray(value) if value.dtype.kind in "iu" else target.asarray(value, carrier(dtype))
        native[name] = value
    B, H, L, _ = values.q.shape
    return call(target, "attention", target.asarray(values.q, dtype), target.asarray(values.k, dtype),
                target.asarray(values.v, dtype), shape=(B, H, L, values.v.shape[-1]), dtype=dtype, **native)


def exact(values: Inputs) -> attention.Result:
    return attention.evaluate(values.q, values.k, values.v, **values.options)


def bias_units(result: attention.Result, given: Inputs):
    """ALiBi's bias error in units of u_w (``error_model.attention_bias_units``); 0 for the other biases (given exactly)."""
    if result.args.bias != "alibi":
        return 0.0
    heads = result.args.heads
    if given.options.get("slopes") is None:
        slopes, powers = np.asarray(attention.alibi_slopes(heads), np.float64), attention.slope_powers(heads)
    else:
        slopes, powers = given.options["slopes"], np.zeros(heads)
    qp, kp = result.q_positions[:, None].astype(np.float64), result.k_positions[None, :].astype(np.float64)
    span = np.abs(qp - kp) + np.abs(kp) + np.abs(qp)
    return error_model.attention_bias_units(slopes[None, :, None, None], powers[None, :, None, None], span[None, None])


def per_head_values(result: attention.Result, v: np.ndarray) -> np.ndarray:
    """|v| as each query head reads it (KV head h // g)."""
    return np.abs(np.repeat(v, result.args.groups, axis=1))


def score_abs(result: attention.Result) -> np.ndarray:
    return np.where(np.isfinite(result.scores), np.abs(result.scores), 0.0)


def tolerance(result: attention.Result, given: Inputs, dtype: str) -> np.ndarray:
    return error_model.attention_error(result.probabilities, per_head_values(result, given.v), np.abs(result.out),
                                       result.magnitude, score_abs(result), bias_units(result, given), result.spread,
                                       result.count, result.args.head_dim, dtype)


def context(result: attention.Result):
    return {"head": lambda i: i[1], "query position": lambda i: int(result.q_positions[i[2]]),
            "visible keys": lambda i: int(result.count[i[0], i[1], i[2]])}


@pytest.fixture(scope="session")
def chosen_dtypes(request) -> tuple[str, ...]:
    """The dtypes of ``--dtype`` (empty: every dtype of the target)."""
    return tuple(split_target_option(request.config.getoption("--dtype"), default=()))


def draw_dtype(data, target, chosen: tuple[str, ...]) -> str:
    """One of the target's dtypes (of ``--dtype``, if given), drawn per example: the reference-free properties cover the
    dtypes across their examples where the oracle property is a case per dtype — a quarter of the default run's time."""
    kept = [d for d in target.dtypes if not chosen or d in chosen]
    if not kept:
        pytest.skip(f"none of the target's dtypes {target.dtypes} was chosen (--dtype)")
    return data.draw(st.sampled_from(kept), label="dtype")


def describe(case: Case) -> str:
    return (f"{case.bias or 'no'} bias, {'causal' if case.causal else 'full'}, {case.positions} positions, "
            f"H={case.heads}/{case.kv_heads}, L={case.q_len}, S={case.k_len}")


@conformance("attention", "oracle", derivation="spec.attention.evaluate")
@given(case=cases())
def test_attention_matches_oracle(target, dtype, case):
    """softmax(scale·q·kᵀ + bias)·v against the exact value, every bias, mask, alignment and head grouping: catches
    top-left alignment, a bias scaled with the scores or of the wrong sign, key-only ALiBi without a causal mask,
    slopes reversed or ignored, T5 with 1/√D or its relative position reversed, the wrong KV head."""
    given_ = inputs(case, dtype)
    result = exact(given_)
    assert_within(observe(target, dtype, given_), result.out, tolerance(result, given_, dtype),
                  what=f"attention ({describe(case)}) vs oracle", how=MODEL, context=context(result))


@conformance("attention", "chunked prefill", derivation=proofs.CHUNK_POSITIONS.name)
@given(case=cases(causal=True, positions=("default",), min_k=8, max_q=8, min_q=2), data=st.data())
def test_attention_chunked_prefill_matches_full(target, chosen_dtypes, data, case):
    """Queries a … b − 1 (0 < a < b ≤ L) against the first S − L + b keys, positions by default, equal rows a … b − 1 of
    the full causal call (chunked prefill; b = L, a = L − 1 is a KV-cache decode step): catches top-left alignment
    (SDPA's is_causal, flash-attn 2.0) and any alignment taken from the lengths instead of the positions."""
    dtype = draw_dtype(data, target, chosen_dtypes)
    end = data.draw(st.integers(2, case.q_len), label="b")
    check_chunked_prefill(target, dtype, case, data.draw(st.integers(1, end - 1), label="a"), end)


def check_chunked_prefill(target, dtype: str, case: Case, start: int, end: int) -> None:
    """One example of chunked-prefill consistency: rows start … end − 1 alone against the full call
    (``benchmarks/pair_properties.py`` times it)."""
    L, S = case.q_len, case.k_len
    full = inputs(case, dtype)
    keys = int(proofs.chunk_key_length()(L, S, end))
    chunk = full.replace(q=full.q[:, :, start:end], k=full.k[:, :, :keys], v=full.v[:, :, :keys])
    if case.bias == "array":
        chunk.options["bias"] = full.options["bias"][..., start:end, :keys]
    whole, part = exact(full), exact(chunk)
    expected = observe(target, dtype, full)[:, :, start:end]
    bound = tolerance(whole, full, dtype)[:, :, start:end] + tolerance(part, chunk, dtype)
    assert_within(observe(target, dtype, chunk), expected, bound,
                  what=f"rows {start}…{end - 1} called alone with {keys} of {S} keys vs the full call ({describe(case)})",
                  how="sum of two " + MODEL, context=context(part))


@conformance("attention", "invisible keys", derivation=proofs.INVISIBLE_KEYS.name)
@given(case=cases(biases=(None, "alibi", "t5", "array"), causal=True, positions=("default", "offset", "scattered")),
       future=st.integers(1, 4), data=st.data())
def test_attention_ignores_invisible_keys(target, chosen_dtypes, data, case, future):
    """Keys after every query (causal) and keys an array bias hides (−inf) are never read: two calls whose invisible
    keys and values differ (finite values, another seed) give bitwise the same output. Catches a causal mask one
    key late and kernels that read unwritten cache slots."""
    dtype = draw_dtype(data, target, chosen_dtypes)
    base = inputs(case, dtype)
    result = exact(base)
    qp, kp = result.q_positions, result.k_positions
    later = int(qp.max()) + 1 + np.arange(future, dtype=np.int64)  # after the last query: invisible to every row
    options = {"q_positions": qp, "k_positions": np.concatenate([kp, later])}
    hidden = np.ones(case.k_len + future, bool)
    if case.bias == "array":  # keys the array hides from every row: their k and v change with the variant too
        array = base.options["bias"]
        hidden[: case.k_len] = ~np.isfinite(array).reshape(-1, case.k_len).any(0)
        options["bias"] = np.concatenate([array, np.zeros((*array.shape[:-1], future))], axis=-1)
    else:
        hidden[: case.k_len] = False
    if case.bias == "t5":
        options["t5_table"] = tie_ambiguous_buckets(base.options["t5_table"], qp, options["k_positions"], result.args.t5)
    outputs = []
    for variant in range(2):
        junk = np.random.default_rng([case.seed, variant])
        k = np.concatenate([base.k, np.zeros((*base.k.shape[:2], future, base.k.shape[3]))], axis=2)
        v = np.concatenate([base.v, np.zeros((*base.v.shape[:2], future, base.v.shape[3]))], axis=2)
        k[:, :, hidden] = exactly_in(junk.standard_normal(k[:, :, hidden].shape) * 4, dtype)
        v[:, :, hidden] = exactly_in(junk.standard_normal(v[:, :, hidden].shape) * 4, dtype)
        outputs.append(observe(target, dtype, base.replace(k=k, v=v, options=options)))
    assert_exact(outputs[1], outputs[0], what=f"output with other values in {future} keys after every query ({describe(case)})",
                 context={"head": lambda i: i[1], "query position": lambda i: int(qp[i[2]])})


#: A shift every example makes besides the drawn one: odd, past float16's exact integers (2048) and bfloat16's (256).
FAR_SHIFT = 4097


@conformance("attention", "shift", derivation=proofs.SHIFT.name)
@given(case=cases(biases=("alibi", "t5"), positions=("default", "offset", "scattered")),
       shift=st.integers(-4096, 4096) | st.integers(0, 2**21), data=st.data())
def test_attention_shift_invariance(target, chosen_dtypes, data, case, shift):
    """Every position moved by t changes nothing (relative biases, the causal test on k − q): catches absolute
    positions leaking into the bias and positions held in half precision (float16 keeps integers to 2048). Each
    example moves by the drawn t and by FAR_SHIFT."""
    dtype = draw_dtype(data, target, chosen_dtypes)
    base = inputs(case, dtype)
    result = exact(base)
    qp, kp = result.q_positions, result.k_positions
    unmoved = observe(target, dtype, base)
    for drawn in (shift, FAR_SHIFT):
        t = int(max(drawn, -int(min(qp.min(), kp.min()))))  # positions stay ≥ 0
        moved = base.replace(options={"q_positions": proofs.shifted()(qp, t), "k_positions": proofs.shifted()(kp, t)})
        bound = tolerance(result, base, dtype) + tolerance(exact(moved), moved, dtype)
        assert_within(observe(target, dtype, moved), unmoved, bound,
                      what=f"output at positions + {t} vs at the positions ({describe(case)})", how="sum of two " + MODEL,
                      context=context(result))


def probe_inputs(case: Case, dtype: str, causal: bool) -> Inputs:
    """q = 0 and one-hot values (v_j = e_j, Dv = S): out_ij = p_ij (``proofs.attention.probe``)."""
    given_ = inputs(case, dtype)
    eye = np.broadcast_to(np.eye(case.k_len), (case.batch, case.kv_heads, case.k_len, case.k_len)).copy()
    return given_.replace(q=np.zeros_like(given_.q), v=eye, options={"causal": causal, "q_positions": None, "k_positions": None})


def usable(result: attention.Result, dtype: str) -> np.ndarray:
    """Probabilities the probe can read: normal numbers of the dtype, with room for their error."""
    tiny = np.finfo(np.float16).tiny if dtype == "float16" else np.finfo(np.float32).tiny
    return result.probabilities >= 4 * tiny


def probe_error(result: attention.Result, given_: Inputs, dtype: str) -> np.ndarray:
    """``error_model.attention_probability_error``: the relative error of each probability the probe reads."""
    return error_model.attention_probability_error(result.probabilities, result.magnitude, score_abs(result),
                                                   bias_units(result, given_), result.spread, result.count,
                                                   result.args.head_dim, dtype)


def take(array, index):
    return np.take_along_axis(array, index[..., None], -1)[..., 0]


def read_bias(target, dtype: str, case: Case, what: str) -> tuple[np.ndarray, np.ndarray, attention.Result, Inputs]:
    """The q = 0 probe (default positions; causal as ``case`` says) of ``case``'s bias: (observed p_ij, the rows' own keys,
    the oracle's result, the inputs); it checks log p_ij − log p_own against the exact b_ij − b_own wherever both are
    readable (visible, and a normal number of the dtype)."""
    given_ = probe_inputs(case, dtype, causal=case.causal)
    result = exact(given_)
    observed = observe(target, dtype, given_)
    own = np.broadcast_to(result.q_positions, observed.shape[:-1])  # default positions: key j sits at position j
    readable = usable(result, dtype) & take(usable(result, dtype), own)[..., None]  # p_ij and p_own both
    with np.errstate(divide="ignore"):  # a probability of 0 reads as −inf: a failure, shown as such
        read = proofs.probe_bias()(np.log(observed), np.log(take(observed, own))[..., None])
    expected = result.bias - take(result.bias[0], own[0])[None, ..., None]
    relative = probe_error(result, given_, dtype)
    eta = relative + take(relative, own)[..., None]
    assert_within(np.where(readable, read, 0.0), np.where(readable, expected, 0.0), eta / (1 - eta),
                  what=f"{what}: log p_ij − log p_own read by the q = 0 probe vs b_ij − b_own", how=PROBE_MODEL + ", two probabilities",
                  context={"head": lambda i: i[1], "row": lambda i: i[2], "key": lambda i: i[3]})
    return observed, own, result, given_


def read_slopes(target, dtype: str, case: Case, what: str) -> None:
    """:func:`read_bias` of an ALiBi case, then each head's slope (log p_own − log p_far)/d against the slopes it was given
    (or alibi_slopes(H)), p_far at the farthest readable key."""
    observed, own, result, given_ = read_bias(target, dtype, case, what)
    keys = np.arange(case.k_len)
    distance = np.where(usable(result, dtype) & (keys != own[..., None]), np.abs(own[..., None] - keys), 0)
    far = distance.argmax(-1)
    d = take(distance, far)
    assume((d > 0).all())
    with np.errstate(divide="ignore"):
        slope = proofs.probe_slope()(np.log(take(observed, own)), np.log(take(observed, far)), d)
    slopes = given_.options.get("slopes")
    expected = np.asarray(attention.alibi_slopes(case.heads), np.float64) if slopes is None else slopes
    relative = probe_error(result, given_, dtype)
    eta = take(relative, own) + take(relative, far)
    assert_within(slope, np.broadcast_to(expected[None, :, None], slope.shape), (eta / (1 - eta)) / d,
                  what=f"{what}: slope read by the q = 0 probe vs the head's slope", how=PROBE_MODEL + ", over the distance",
                  context={"head": lambda i: i[1], "row": lambda i: i[2], "distance": d})


def where_provided(check, *args) -> None:
    """Run a part of a property that a target may not offer: "not provided" there (``checks.not_provided``, which the
    report records as "partly not provided") leaves this example's other parts standing instead of discarding it."""
    try:
        check(*args)
    except UnsatisfiedAssumption:
        pass


@conformance("attention", "probe", derivation=proofs.PROBE.name)
@given(case=cases(biases=("alibi",), positions=("default",), min_k=2, max_k=10, min_q=2, max_q=4), heads=st.integers(9, 18),
       t5=t5_configs(), rank=st.integers(0, 3), data=st.data())
def test_attention_probe_reads_the_bias(target, chosen_dtypes, data, case, heads, t5, rank):
    """q = 0, v = I reads p_ij (default positions, 9 to 18 heads, causal or not — decoders offer only the first):
    log p_ij − log p_own is the bias difference b_ij − b_own — ALiBi with alibi_slopes(H), ALiBi with a tensor-parallel
    rank's explicit slice of alibi_slopes(4H), T5's table — and (log p_own − log p_far)/d is each head's slope (p_own at
    the key at the query's own position, bottom-right, p_far at the farthest readable key). Catches slopes reversed
    across heads, of the wrong sign, in half precision, from a rank's local head count, a bias scaled by 1/√D, the wrong
    alignment, key-only ALiBi without a causal mask, T5's relative position reversed."""
    dtype = draw_dtype(data, target, chosen_dtypes)
    assume(case.q_len <= case.k_len)
    kv_heads = data.draw(st.sampled_from([n for n in range(heads, 0, -1) if heads % n == 0]), label="kv_heads")
    case = replace(case, heads=heads, kv_heads=kv_heads)  # MHA first; slopes 2^(−k/2) and others outside float16
    read_slopes(target, dtype, case, "ALiBi, alibi_slopes(H)")
    # A target may offer only some of these (a model computes its own slopes; no T5): what it offers is still checked.
    where_provided(read_slopes, target, dtype, replace(case, rank=rank), f"ALiBi, rank {rank} of 4")
    where_provided(read_bias, target, dtype, replace(case, bias="t5", t5=t5, rank=None),
                   f"T5 (bidirectional={t5[0]}, {t5[1]} buckets, max_distance={t5[2]})")


def uniform_over_visible(result: attention.Result) -> np.ndarray:
    """p_ij = 1/n_i on the keys query i sees (k_j ≤ q_i), 0 elsewhere and in a row that sees none (identical_keys)."""
    visible = proofs.causal_visible()(result.q_positions[:, None], result.k_positions[None, :])
    n = visible.sum(-1)
    return np.broadcast_to(np.where(visible, proofs.uniform_probability()(np.maximum(n, 1))[:, None], 0.0), result.out.shape)


@conformance("attention", "alignment", derivation=proofs.IDENTICAL_KEYS.name)
@given(case=cases(biases=(None,), causal=True, positions=("default",), max_k=10), start=st.integers(0, 10),
       explicit=st.booleans(), data=st.data())
def test_attention_alignment(target, chosen_dtypes, data, case, start, explicit):
    """q = 0 (all scores equal), causal, v = I, L ≤ S: row i is uniform, 1/n_i, over exactly the keys at or before its
    position — by default bottom-right (the queries are the last L keys), or explicitly q = k₀ + a + arange(L) for keys
    k₀ + arange(S) (a = 0 top-left, a = S − L bottom-right, a KV cache in between). Catches top-left alignment and a
    causal mask off by one."""
    dtype = draw_dtype(data, target, chosen_dtypes)
    case = replace(case, q_len=min(case.q_len, case.k_len))
    given_ = probe_inputs(case, dtype, causal=True)
    if explicit:
        offset = min(start, case.k_len - case.q_len)
        given_.options.update(q_positions=case.k_offset + offset + np.arange(case.q_len, dtype=np.int64),
                              k_positions=case.k_offset + np.arange(case.k_len, dtype=np.int64))
    result = exact(given_)
    where = "bottom-right" if not explicit else f"queries from key {min(start, case.k_len - case.q_len)}"
    assert_within(observe(target, dtype, given_), uniform_over_visible(result), tolerance(result, given_, dtype),
                  what=f"q = 0 probe, causal, L={case.q_len}, S={case.k_len}, {where}: 1/n on the visible keys",
                  how=MODEL, context=context(result))


@conformance("attention", "empty rows", derivation="spec.protocol.attention")
@given(case=cases(biases=(None, "alibi", "t5"), causal=True, positions=("default",), max_k=10), before=st.integers(1, 8),
       data=st.data())
def test_attention_empty_rows_are_zero(target, chosen_dtypes, data, case, before):
    """Queries placed before every key (q = k₀ − e + arange(L), causal): the first e rows see no key and are exactly 0 —
    not NaN (−inf − (−inf) in a naive softmax), not the mean of v (a finite mask value such as finfo.min) — and the
    other rows are as usual (q = 0, v = I: uniform over their visible keys)."""
    dtype = draw_dtype(data, target, chosen_dtypes)
    case = replace(case, q_len=min(case.q_len, case.k_len))
    e = min(before, case.q_len)
    given_ = probe_inputs(case, dtype, causal=True)
    given_.options.update(q_positions=case.k_offset - e + np.arange(case.q_len, dtype=np.int64),
                          k_positions=case.k_offset + np.arange(case.k_len, dtype=np.int64))
    if case.bias == "t5":
        given_.options["t5_table"] = tie_ambiguous_buckets(given_.options["t5_table"], given_.options["q_positions"],
                                                           given_.options["k_positions"], case.t5)
    result = exact(given_)
    expected = result.out if case.bias is not None else uniform_over_visible(result)
    assert_within(observe(target, dtype, given_), expected, tolerance(result, given_, dtype),
                  what=f"causal, {case.bias or 'no'} bias, the first {e} of {case.q_len} queries before every key: 0 there",
                  how=MODEL + " (0 in a row without a visible key)", context=context(result))


@conformance("attention", "identical values", derivation=proofs.IDENTICAL_VALUES.name)
@given(case=cases(), data=st.data())
def test_attention_identical_values(target, chosen_dtypes, data, case):
    """v_j = w for every key: every row with a visible key returns w, whatever the scores. Catches an unnormalised
    row, an ε added to the normaliser (vLLM's 1e-6 is the largest the model admits in float32)."""
    dtype = draw_dtype(data, target, chosen_dtypes)
    base = inputs(case, dtype)
    w = base.v[:, :, :1]
    given_ = base.replace(v=np.broadcast_to(w, base.v.shape).copy())
    result = exact(given_)
    expected = np.where(result.count[..., None] > 0, np.repeat(w, case.groups, axis=1), 0.0)
    assert_within(observe(target, dtype, given_), expected, tolerance(result, given_, dtype),
                  what=f"identical values ({describe(case)}) vs w", how=MODEL, context=context(result))


@conformance("attention", "bias scale", derivation=proofs.SCALE_COMMUTES.name)
@given(case=cases(biases=("t5", "alibi", "array")), exponent=st.sampled_from((-3, -2, -1, 1, 2, 3)), data=st.data())
def test_attention_bias_not_scaled(target, chosen_dtypes, data, case, exponent):
    """attention(q, scale=c) = attention(c·q, scale=1) for c = 2^e (exact in every dtype) and the same bias: the scale
    multiplies q·kᵀ only. Catches a bias scaled with the scores (Falcon's (QKᵀ + B)/√d, tt-metal's decode), T5 given
    1/√D, an explicit scale ignored."""
    dtype = draw_dtype(data, target, chosen_dtypes)
    c = 2.0**exponent
    scaled = inputs(replace(case, scale=c), dtype)
    moved = scaled.replace(q=proofs.prescaled()(scaled.q, c), options={"scale": 1.0})
    bound = tolerance(exact(scaled), scaled, dtype) + tolerance(exact(moved), moved, dtype)
    assert_within(observe(target, dtype, moved), observe(target, dtype, scaled), bound,
                  what=f"attention(c·q, scale=1) vs attention(q, scale=c), c = {c} ({describe(case)})",
                  how="sum of two " + MODEL, context=context(exact(scaled)))


@conformance("attention", "row constant", derivation=proofs.ROW_CONSTANT.name)
@given(case=cases(biases=("array",), positions=("default", "offset")), data=st.data())
def test_attention_row_constant_invariance(target, chosen_dtypes, data, case):
    """An additive array plus a per-row constant c_hi (integers up to ±2^10: exact in the working precision) gives the
    same output; under a causal mask ALiBi's key-only array m·k equals the symmetric −m|q − k| (dyadic m: exact).
    Catches a softmax without its maximum subtracted (exp overflows) and a row normalised over the wrong keys."""
    dtype = draw_dtype(data, target, chosen_dtypes)
    base = inputs(replace(case, masked=0.0), dtype)
    rng = np.random.default_rng(case.seed + 2)
    bias = base.options["bias"]
    shift = rng.integers(-(2**10), 2**10 + 1, size=(*bias.shape[:-1], 1)).astype(np.float64)
    pairs = [(base, base.replace(options={"bias": bias + shift}))]
    if case.causal:
        result = exact(base)
        m = 2.0 ** -rng.integers(1, 6, size=case.heads).astype(np.float64)[:, None, None]
        qp, kp = result.q_positions[None, :, None], result.k_positions[None, None, :]
        key_only = np.broadcast_to(proofs.key_only_bias()(m, kp), (case.heads, case.q_len, case.k_len)).copy()
        symmetric = -m * np.abs(qp - kp)
        pairs.append((base.replace(options={"bias": symmetric}), base.replace(options={"bias": key_only})))
    for first, second in pairs:
        bound = tolerance(exact(first), first, dtype) + tolerance(exact(second), second, dtype)
        assert_within(observe(target, dtype, second), observe(target, dtype, first), bound,
                      what=f"output with a row constant added to the bias ({describe(case)})", how="sum of two " + MODEL,
                      context=context(exact(first)))


@conformance("attention", "grouped-query", derivation=proofs.GQA.name)
@given(case=cases(groups=(2, 3, 4), min_kv=2), data=st.data())
def test_attention_gqa_equals_repeated_heads(target, chosen_dtypes, data, case):
    """k, v with kv_heads ≥ 2 heads equal k, v repeated to every query head, KV head ⌊h/g⌋ for query head h
    (repeat_interleave): catches tiling the KV heads (h mod kv_heads) and slopes indexed by the KV head."""
    dtype = draw_dtype(data, target, chosen_dtypes)
    grouped = inputs(case, dtype)
    index = proofs.kv_head()(np.arange(case.heads), case.groups).astype(np.int64)
    repeated = grouped.replace(k=grouped.k[:, index], v=grouped.v[:, index])
    result = exact(grouped)
    bound = 2 * tolerance(result, grouped, dtype)
    assert_within(observe(target, dtype, grouped), observe(target, dtype, repeated), bound,
                  what=f"grouped ({case.kv_heads} KV heads) vs repeated to {case.heads} heads ({describe(case)})",
                  how="sum of two " + MODEL, context=context(result))
