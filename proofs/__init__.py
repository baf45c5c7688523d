"""SymPy derivations behind every property the suite checks.

Each scheme's module (``sinusoidal``, ``rope``, ``alibi``, ``t5``, ``learned_absolute``, plus
``layouts`` shared by RoPE and sinusoidal) defines :class:`Derivation` objects — a statement and a
residual that must simplify to zero — and *exports* the executable form of what it proved
(lambdified from the same SymPy expressions), which the tests in ``tests/`` evaluate. So a property
is never a formula typed twice: if the mathematics were wrong, ``tests/meta/test_proofs.py`` would fail.
``python -m proofs`` renders every derivation step by step (``docs/proofs.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

import sympy

REGISTRY: dict[str, Derivation] = {}


@dataclass(frozen=True)
class Derivation:
    """A claim ``residual == 0`` (a scalar, a matrix, or a list of them), named ``scheme.topic``.

    ``steps`` (optional, for ``python -m proofs``) shows how the claim unfolds: ``(label, chain)`` pairs,
    a chain being SymPy objects that are equal one to the next (the renderer checks that) or raw LaTeX
    strings naming them; a chain of one item is a definition or premise, shown and not checked.
    """

    name: str
    statement: str
    residual: object
    steps: tuple = ()

    def __post_init__(self):
        REGISTRY[self.name] = self

    def residuals(self) -> list:
        items = self.residual if isinstance(self.residual, (list, tuple)) else [self.residual]
        return [entry for item in items for entry in (item if isinstance(item, sympy.MatrixBase) else [item])]

    def verify(self) -> bool:
        """True when every residual simplifies to exactly zero (simplified once: the result is kept)."""
        return self._verified

    @cached_property
    def _verified(self) -> bool:
        return all(sympy.simplify(sympy.expand_trig(sympy.expand(r))) == 0 for r in self.residuals())


def lambdify(args, expr):
    """``sympy.lambdify`` to NumPy, cached by the caller (lambdify is slow; the tests call it once)."""
    return sympy.lambdify(args, expr, modules="numpy")


def exported(function):
    """Mark a zero-argument builder of an exported property; it runs once, on first use."""
    return cache(function)
