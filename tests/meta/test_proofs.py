"""Every derivation in ``proofs/`` verifies symbolically, and the checker itself can say no."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
import sympy

import proofs
from proofs import REGISTRY, Derivation

for module in pkgutil.iter_modules(proofs.__path__):
    importlib.import_module(f"proofs.{module.name}")


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_derivation_verifies(name):
    assert REGISTRY[name].verify(), f"{name}: {REGISTRY[name].statement} does not simplify to zero"


def test_verifier_rejects_a_false_claim():
    """Guards against a verify() that cannot fail: R₂(a)R₂(b) = R₂(a − b) is false."""
    from proofs.rope import R2, a, b

    false = Derivation("selftest.false", "R₂(a)R₂(b) = R₂(a−b)", R2(a) * R2(b) - R2(a - b))
    del REGISTRY[false.name]
    assert not false.verify()


def test_every_scheme_has_derivations():
    schemes = {name.split(".")[0] for name in REGISTRY}
    assert {"rope", "sinusoidal", "alibi", "t5", "learned_absolute", "layouts"} <= schemes


def test_every_derivation_is_used_by_a_property():
    """Each derivation is named by some @conformance property (so a failing check leads to it)."""
    used = set()
    for path in Path(__file__).parents[1].rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr.isupper():
                used.add(node.attr)
    names = {
        name for name, derivation in REGISTRY.items()
        for module in (importlib.import_module(f"proofs.{name.split('.')[0]}"),)
        for attr, value in vars(module).items() if value is derivation and attr in used
    }
    assert names == set(REGISTRY), f"derivations no property names: {sorted(set(REGISTRY) - names)}"


def test_exports_are_lambdified_from_the_verified_expressions():
    """Spot-check: the exported score equals qᵀR₂(φ)k evaluated by SymPy itself."""
    from proofs import rope

    values = {rope.q1: 0.3, rope.q2: -1.2, rope.k1: 0.7, rope.k2: 2.0, rope.phi: 0.9}
    assert rope.relative_score()(*values.values()) == pytest.approx(float(rope.SCORE.subs(values)), rel=1e-15)
    assert isinstance(rope.SCORE, sympy.Expr)
