"""Adapters: third-party libraries exposed through the target protocol, one module per library.

An adapter converts only what the library's convention needs — tensor layout, the width of its
cos/sin, where it applies the attention factor, how it names a parameter — and says so in its
docstring; it never "fixes" the library. What the library does not offer raises
``NotImplementedError`` (reported "not provided"). Protocol arguments are validated with
``spec.validation`` first, so a bad argument reads the same for every target; the library's own
arithmetic is what the properties judge.

Install the CPU libraries with ``pip install -e ".[thirdparty]"`` and the further ones by family
(``.[mlx]``, ``.[diffusers-timm]``, …; docs/third-party.md); a missing library makes its target
"unavailable" with the reason, never an error.
"""

from __future__ import annotations

import importlib


def require(module: str, *, package: str | None = None, extra: str = "thirdparty"):
    """Import ``module`` or fail with an ImportError that says how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{package or module} is not installed or does not import ({error}); "
            f'install it with pip install -e ".[{extra}]" (docs/third-party.md#installing-the-libraries)'
        ) from error


def flat_positions(torch, positions):
    """Positions ``[seq]`` as the ``[1, seq]`` int64 ``position_ids`` libraries take."""
    return positions.to(torch.int64)[None, :]
