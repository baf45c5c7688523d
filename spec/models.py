"""Released models' positional configurations: the catalogue (``spec/models.json``) and ``config.json`` files.

Each catalogue entry is a model's positional keys *as its ``config.json`` ships them* (``config``), its
Hugging Face ``model_type``, the dtype it ships in, the context length its publisher states, where the
values were read (``source``; ``evidence``: O the publisher's page, M a verbatim mirror, D derivative
repos, C code) and the config revision they describe (``revision``: a commit where a source names one),
with the traps found in it (``notes``); keys its sources leave in doubt are listed in ``unconfirmed``. :func:`from_config` derives what the protocol
takes from such a config — the same function serves ``--model NAME`` (a catalogue entry) and
``--rope-config PATH`` (a user's ``config.json``):

* RoPE: ``head_dim`` (the config's ``head_dim``, else ``hidden_size / num_attention_heads``; DeepSeek's
  rotary slice ``qk_rope_head_dim``; GLM's ``kv_channels``), ``rotary_dim`` (``partial_rotary_factor``,
  GPT-NeoX's ``rotary_pct``, GPT-J's ``rotary_dim``, GLM's first half), ``base`` (``rope_theta``, NeoX's
  ``rotary_emb_base``, GLM's 10000·``rope_ratio``; default 10000), the scaling dict
  (``spec.rope_parameters.from_config``), the layout of the model_type's code (:data:`LAYOUTS`), and one
  such configuration per kind of layer where the model has several (Gemma-3: sliding-window layers at
  ``rope_local_base_freq``, unscaled; full-attention layers at ``rope_theta`` with the scaling);
* ALiBi: the head count; T5: the bucket count and max_distance (bidirectional in the encoder, causal in
  the decoder); learned tables: their rows; a scheme the protocol has no op for yet (M-RoPE, GLM's 2-D
  positions, Whisper's tensor2tensor sinusoid) is named with the reason.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from spec import rope_parameters

CATALOGUE = Path(__file__).with_name("models.json")

#: The rotation layout of each model_type's code in Hugging Face transformers (and the remote code of GLM).
LAYOUTS = {
    **dict.fromkeys(("llama", "mistral", "mixtral", "qwen2", "qwen3", "phi3", "gemma", "gemma2", "gemma3", "gemma3_text",
                     "falcon", "starcoder2", "olmo", "olmo2", "internlm2", "gpt_neox"), "half"),
    **dict.fromkeys(("gptj", "chatglm", "glm", "deepseek_v2", "deepseek_v3", "llama4"), "interleaved"),
}
ALIBI = ("bloom", "mpt", "baichuan")
#: model_types whose positional scheme has no protocol op yet: the reason.
NOT_YET = {
    "qwen2_vl": "M-RoPE: rope_apply takes it (tests/test_mrope.py), the model properties do not derive it yet",
    "qwen2_5_vl": "M-RoPE: rope_apply takes it (tests/test_mrope.py), the model properties do not derive it yet",
    "whisper": "Whisper's encoder sinusoid uses tensor2tensor's log(10000)/(channels/2 − 1), not the protocol's table",
}


@dataclass(frozen=True)
class RopeLayer:
    """One RoPE configuration of a model: the protocol's arguments for its ``rope_apply``."""

    layers: str  # which layers use it ("all", "sliding_attention", "full_attention", "RoPE layers")
    head_dim: int
    rotary_dim: int
    base: float
    layout: str
    scaling: dict | None


@dataclass(frozen=True)
class Model:
    """What the gate checks of one model (``scheme`` says which of the fields apply)."""

    name: str
    scheme: str  # "rope", "alibi", "t5", "learned_absolute", or "not provided"
    dtype: str
    context: int
    rope: tuple[RopeLayer, ...] = ()
    num_heads: int | None = None
    t5: dict = field(default_factory=dict)
    rows: int | None = None
    reason: str = ""
    entry: dict = field(default_factory=dict, compare=False)

    def __repr__(self) -> str:  # pytest ids and Hypothesis reports
        return f"Model({self.name!r})"


def _first(config: dict, *keys, default=None):
    return next((config[key] for key in keys if config.get(key) is not None), default)


def _rope_layers(config: dict, model_type: str) -> tuple[RopeLayer, ...]:
    layout = LAYOUTS.get(model_type)
    if layout is None:
        raise ValueError(f"model_type {model_type!r} has no known RoPE layout; known: {sorted(LAYOUTS)}")
    heads = _first(config, "num_attention_heads", "n_head")
    if model_type in ("deepseek_v2", "deepseek_v3"):  # MLA: RoPE on a separate qk_rope_head_dim slice
        head_dim = rotary_dim = int(config["qk_rope_head_dim"])
    elif model_type in ("chatglm", "glm"):  # GLM rotates the first half of each head
        head_dim = int(config["kv_channels"] if "kv_channels" in config else config["hidden_size"] // heads)
        rotary_dim = head_dim // 2
    else:
        head_dim = int(_first(config, "head_dim", default=_first(config, "hidden_size", "n_embd") // heads))
        fraction = _first(config, "partial_rotary_factor", "rotary_pct", default=1.0)
        rotary_dim = int(_first(config, "rotary_dim", default=int(head_dim * fraction)))
    if model_type in ("chatglm", "glm"):
        base = 10000.0 * float(config.get("rope_ratio", 1))
    else:
        base = float(_first(config, "rope_theta", "rotary_emb_base", "rope_global_base_freq", default=10000.0))
    scaling = rope_parameters.from_config(config)
    if scaling is not None:
        rope_parameters.normalise(scaling, rotary_dim, None)  # a shipped config the vocabulary rejects fails here
    if config.get("rope_local_base_freq") is not None:  # Gemma-3: sliding-window layers, local base, no scaling
        return (RopeLayer("sliding_attention", head_dim, rotary_dim, float(config["rope_local_base_freq"]), layout, None),
                RopeLayer("full_attention", head_dim, rotary_dim, base, layout, scaling))
    which = "RoPE layers" if config.get("no_rope_layer_interval") else "all"  # Llama-4: every n-th layer has none
    return (RopeLayer(which, head_dim, rotary_dim, base, layout, scaling),)


def from_config(config: dict, *, name: str = "config.json", model_type: str | None = None, dtype: str | None = None,
                context: int | None = None) -> Model:
    """The protocol's view of a model from its ``config.json`` keys (``model_type`` from the config if not given)."""
    model_type = model_type or config.get("model_type")
    if not model_type:
        raise ValueError("model_type is required (the config's 'model_type' key) to know the model's positional code")
    dtype = dtype or config.get("torch_dtype") or config.get("dtype") or "float32"
    if dtype not in ("float64", "float32", "float16", "bfloat16"):
        raise ValueError(f"dtype must be one of float64, float32, float16, bfloat16, got {dtype!r}")
    longest = _first(config, "max_position_embeddings", "n_positions", "seq_length", "max_seq_len", "model_max_length",
                     "max_sequence_length", default=None)
    context = int(context or longest or 0)
    common = {"name": name, "dtype": dtype, "context": context}
    if model_type in NOT_YET or config.get("position_encoding_2d"):
        return Model(scheme="not provided", reason=NOT_YET.get(model_type, "GLM's 2-D positions: no protocol op yet"), **common)
    if model_type in ALIBI or config.get("alibi") is True or (config.get("attn_config") or {}).get("alibi"):
        return Model(scheme="alibi", num_heads=int(_first(config, "num_attention_heads", "n_head", "n_heads")), **common)
    if model_type == "t5":
        t5 = {"num_buckets": int(config.get("relative_attention_num_buckets", 32)),
              "max_distance": int(config.get("relative_attention_max_distance", 128))}
        return Model(scheme="t5", t5=t5, **{**common, "context": context or 512})
    if model_type in ("bert", "roberta", "gpt2", "bart"):
        return Model(scheme="learned_absolute", rows=context, **common)
    return Model(scheme="rope", rope=_rope_layers(config, model_type), **common)


#: Keys whose doubt makes an entry uncheckable (the catalogue marks them "unconfirmed").
_POSITIONAL = ("rope_scaling", "rope_theta", "head_dim", "partial_rotary_factor", "max_position_embeddings")


@cache
def catalogue() -> dict[str, dict]:
    """The catalogue's entries by name."""
    return {entry["name"]: entry for entry in json.loads(CATALOGUE.read_text())}


def model(name: str) -> Model:
    """A catalogue entry by its name or a unique prefix of it (``llama-4-scout``)."""
    entries = catalogue()
    matches = [name] if name in entries else [n for n in entries if n.startswith(name.lower())]
    if len(matches) != 1:
        shown = ", ".join(matches) if matches else "none"
        raise ValueError(f"--model {name!r} must name one catalogue entry (spec/models.json) or a unique prefix; "
                         f"matches: {shown}")
    entry = entries[matches[0]]
    doubtful = [key for key in entry.get("unconfirmed", ()) if key in _POSITIONAL]
    if doubtful or not entry.get("context"):
        reason = f"its {', '.join(doubtful) or 'context length'} is unconfirmed in the catalogue's sources"
        return Model(entry["name"], "not provided", entry.get("dtype") or "float32", 0, reason=reason, entry=entry)
    found = from_config(entry["config"], name=entry["name"], model_type=entry["model_type"],
                        dtype=entry.get("dtype") or "float32", context=entry.get("context"))
    return replace(found, entry=entry)


def last_positions(context: int) -> list[int]:
    """The positions a model must get right at its edge: the last one and its neighbours below."""
    return [p for p in (context - 1, context - 2, max(context // 2, 1), int(math.sqrt(context))) if p >= 0]
