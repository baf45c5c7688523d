"""Loading a target and talking to it in its own array type.

``load_target(name)`` resolves, in this order: a built-in name (``numpy``, ``torch``, ``torch-cuda``),
a path to a ``.py`` file, an importable module path. Loading **executes** the target module — only
load code you trust. A target that cannot be loaded (no CUDA, a missing package, an import error)
comes back *unavailable* with the reason, so the gate reports it instead of crashing.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np

from spec.protocol import DTYPES
from spec.rope_parameters import EXTENSIONS, ROPE_TYPES

BUILTIN = {
    "numpy": "impl.numpy_ref",
    "torch": "impl.torch_ref",
    "torch-cuda": "impl.torch_cuda_ref",
    # Adapters exposing third-party libraries (``pip install -e ".[thirdparty]"``), see impl/adapters/.
    "transformers": "impl.adapters.transformers",
    "transformers-models": "impl.adapters.transformers_models",
    "x-transformers": "impl.adapters.x_transformers",
    "rotary-embedding-torch": "impl.adapters.rotary_embedding_torch",
    "torchtune": "impl.adapters.torchtune",
    "flash-attn": "impl.adapters.flash_attn",
    "vllm": "impl.adapters.vllm",
    "liger-kernel": "impl.adapters.liger_kernel",
    # More CPU libraries, one install group each (pyproject.toml); see docs/third-party.md.
    "mlx": "impl.adapters.mlx",
    "mlx-lm": "impl.adapters.mlx_lm",
    "diffusers": "impl.adapters.diffusers",
    "timm": "impl.adapters.timm",
    "litgpt": "impl.adapters.litgpt",
    "torchtitan": "impl.adapters.torchtitan",
    "megatron-core": "impl.adapters.megatron_core",
    "keras-hub": "impl.adapters.keras_hub",
    "vllm-cpu": "impl.adapters.vllm_cpu",
    # Triton kernels run by Triton's CPU interpreter (TRITON_INTERPRET=1).
    "liger-kernel-interpreter": "impl.adapters.liger_kernel_interpreter",
    "fla-interpreter": "impl.adapters.fla_interpreter",
    "xformers-interpreter": "impl.adapters.xformers_interpreter",
    # The attention op (positional biases inside attention kernels): CPU kernels, transformers' eager paths, CUDA kernels.
    "torch-sdpa": "impl.adapters.torch_sdpa",
    "flex-attention": "impl.adapters.flex_attention",
    "transformers-attention": "impl.adapters.transformers_attention",
    "transformers-attention-falcon": "impl.adapters.transformers_attention_falcon",
    "transformers-attention-mpt": "impl.adapters.transformers_attention_mpt",
    "xformers": "impl.adapters.xformers_attention",
}
DEFAULT_TARGETS = ("numpy", "torch", "torch-cuda")
#: The CPU third-party targets the committed analysis covers (docs/conformance/).
THIRD_PARTY_CPU = ("transformers", "transformers-models", "x-transformers", "rotary-embedding-torch", "torchtune")


@dataclass
class Target:
    """A resolved target: its module (or why it is unavailable) and its declared conventions."""

    name: str
    module: ModuleType | None = None
    unavailable: str | None = None
    array_api: str = "numpy"
    device: str = "cpu"
    dtypes: tuple[str, ...] = ("float64", "float32")
    versions: dict[str, str] = field(default_factory=dict)
    max_positions: dict[str, int] | int | None = None
    extensions: frozenset[str] = frozenset()
    rope_types: tuple[str, ...] | None = None  # None: every rope_type of the vocabulary

    def max_position(self, op: str) -> int | None:
        """The largest position ``op`` supports (a table's last row), or None when unlimited."""
        if isinstance(self.max_positions, dict):
            return self.max_positions.get(op)
        return self.max_positions

    def __repr__(self) -> str:
        return f"Target({self.name!r})"

    def _repr_pretty_(self, printer, cycle):  # Hypothesis prints failing examples with this
        printer.text(repr(self))

    def declares(self, extension: str) -> bool:
        """Whether the target implements one of the vocabulary's extensions (``spec.rope_parameters.EXTENSIONS``)."""
        return extension in self.extensions

    def implements(self, rope_type: str) -> bool:
        """Whether the target's scaled RoPE offers ``rope_type`` (``ROPE_TYPES``; undeclared: every one)."""
        return self.rope_types is None or rope_type in self.rope_types

    def provides(self, op: str) -> bool:
        return self.module is not None and callable(getattr(self.module, op, None))

    def op(self, op: str):
        return getattr(self.module, op)

    # --- conversions ------------------------------------------------------------------------------
    def asarray(self, array: np.ndarray, dtype: str | None = None):
        """A NumPy array (optionally cast to a dtype name) as this target's native array."""
        array = np.asarray(array)
        if self.array_api == "torch":
            import torch

            if dtype is None:
                return torch.from_numpy(np.ascontiguousarray(array)).to(self.device)
            wide = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float64))
            return wide.to(getattr(torch, dtype)).to(self.device)
        return array if dtype is None else array.astype(numpy_dtype(dtype))

    def to_numpy(self, result) -> np.ndarray:
        """A native result as a NumPy array, keeping its dtype (bfloat16 through ml_dtypes)."""
        if self.array_api == "torch" and hasattr(result, "detach"):
            import torch

            result = result.detach().cpu()
            if result.dtype == torch.bfloat16:
                return result.view(torch.int16).numpy().view(numpy_dtype("bfloat16"))
            return result.numpy()
        return result


def numpy_dtype(name: str):
    if name == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def dtype_name(array) -> str:
    """The dtype name (``float32``, ``bfloat16``, ``int64``, …) of a NumPy or torch array."""
    return str(array.dtype).removeprefix("torch.")


def _import_file(path: Path) -> ModuleType:
    name = f"conformance_target_{path.stem}_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _versions(module: ModuleType, array_api: str) -> dict[str, str]:
    versions = {"numpy": np.__version__}
    if array_api == "torch":
        import torch

        versions["torch"] = torch.__version__
    if getattr(module, "__version__", None):
        versions[module.__name__] = str(module.__version__)
    versions.update(getattr(module, "VERSIONS", {}))  # an adapter names the library it wraps
    return versions


def load_target(name: str) -> Target:
    """Resolve ``name`` (built-in, ``.py`` path, or module path) into a :class:`Target`."""
    try:
        if name in BUILTIN:
            module = importlib.import_module(BUILTIN[name])
        elif name.endswith(".py") or Path(name).is_file():
            path = Path(name)
            if not path.is_file():
                return Target(name, unavailable=f"unavailable: no such file {name}")
            module = _import_file(path)
        else:
            module = importlib.import_module(name)
    except Exception as error:  # noqa: BLE001 — the target's own import failed: report it, never crash the gate
        reason = "".join(traceback.format_exception_only(type(error), error)).strip()
        return Target(name, unavailable=f"unavailable: {reason}")

    extensions = frozenset(getattr(module, "EXTENSIONS", ()))
    unknown = sorted(extensions - set(EXTENSIONS))
    if unknown:
        return Target(name, unavailable=f"unavailable: EXTENSIONS names {unknown[0]!r}, which is not one of {EXTENSIONS}")
    rope_types = getattr(module, "ROPE_TYPES", None)
    if rope_types is not None:
        rope_types = tuple(rope_types)
        unknown = sorted(set(rope_types) - set(ROPE_TYPES))
        if unknown:
            return Target(name, unavailable=f"unavailable: ROPE_TYPES names {unknown[0]!r}, which is not one of {tuple(ROPE_TYPES)}")
    array_api = getattr(module, "ARRAY_API", "numpy")
    default_dtypes = DTYPES if array_api == "torch" else ("float64", "float32")
    dtypes = tuple(d for d in getattr(module, "DTYPES", default_dtypes) if d in DTYPES)
    return Target(
        name,
        module=module,
        array_api=array_api,
        device=getattr(module, "DEVICE", "cpu"),
        dtypes=dtypes,
        versions=_versions(module, array_api),
        max_positions=getattr(module, "MAX_POSITION", None),
        extensions=extensions,
        rope_types=rope_types,
    )


def split_target_option(values: list[str] | None, default=DEFAULT_TARGETS) -> list[str]:
    """``--target a,b --target c`` → ``["a", "b", "c"]``; nothing → ``default`` (the default targets)."""
    names = [part.strip() for value in values or () for part in value.split(",") if part.strip()]
    return names or list(default)
