"""``docs/proofs.md`` is the current rendering of ``proofs/`` (``python -m proofs``), and the renderer covers
every derivation and refuses to render one that does not verify."""

from __future__ import annotations

import re

import pytest

import proofs.__main__ as cli
from proofs import REGISTRY, Derivation, render


def derivation_section(text: str, name: str) -> str:
    """The Markdown of one derivation, up to the next derivation or section."""
    heading = f"### `{name}`\n"
    assert heading in text, f"{name} is not rendered"
    return re.split(r"\n#{2,3} ", text.split(heading, 1)[1], maxsplit=1)[0]


@pytest.fixture(scope="module")
def rendering():
    """One rendering per session: it verifies every derivation, which takes a few seconds."""
    return render.render()


def test_committed_rendering_is_current(rendering):
    committed = (render.ROOT / render.DOCUMENT).read_text(encoding="utf-8")
    if committed != rendering.text:
        ours, theirs = committed.splitlines(), rendering.text.splitlines()
        line = next((n for n, (a, b) in enumerate(zip(ours, theirs)) if a != b), min(len(ours), len(theirs)))
        pytest.fail(f"{render.DOCUMENT} is out of date: run `python -m proofs --output {render.DOCUMENT}` "
                    f"(first difference at line {line + 1})", pytrace=False)


def test_every_derivation_is_rendered_and_verified(rendering):
    assert rendering.failures == []
    for name in REGISTRY:
        assert "**verified: residual simplifies to 0**" in derivation_section(rendering.text, name), name


def test_rendering_has_sections_and_equations(rendering):
    sections = [chunk for chunk in rendering.text.split("\n## ")[1:] if "\n### " in chunk]
    equations = len(re.findall(r"^\$\$$", rendering.text, re.MULTILINE)) // 2
    assert len(sections) == rendering.sections >= 8
    assert equations == rendering.equations >= 20


def test_properties_and_exports_are_found_in_the_tests(rendering):
    """The ast scan resolves ``proofs.ORTHOGONAL.name`` and exports reached through helper functions."""
    orthogonal = derivation_section(rendering.text, "rope.orthogonal")
    assert "`tests/test_rope.py::test_rope_preserves_norm`" in orthogonal
    relative = derivation_section(rendering.text, "rope.relative")
    assert "`proofs.rope.relative_score()(q1, q2, k1, k2, phi)`" in relative
    assert "`tests/test_rope.py::test_rope_scores_match_relative_rotation`" in relative  # via relative_scores()


def test_a_false_derivation_or_step_fails_the_renderer(capsys, tmp_path, monkeypatch):
    from proofs.rope import R2, a, b

    false_residual = Derivation("selftest.false_residual", "R₂(a)R₂(b) = R₂(a−b)", R2(a) * R2(b) - R2(a - b))
    false_step = Derivation("selftest.false_step", "a true residual, a false step", R2(a) - R2(a),
                            steps=(("wrong", (R2(a) * R2(b), R2(a - b))),))
    del REGISTRY[false_residual.name], REGISTRY[false_step.name]
    # Render just these two (the real registry's rendering is the fixture's): a fast, full pass through main().
    monkeypatch.setattr(render, "REGISTRY", {d.name: d for d in (false_residual, false_step)})
    output = tmp_path / "proofs.md"
    status = cli.main(["--output", str(output)])
    errors = capsys.readouterr().err
    assert status == 1
    assert "selftest.false_residual: residual does not simplify to 0" in errors
    assert "selftest.false_step: step 1 (wrong)" in errors
    assert not output.exists(), "a failed rendering must not be written"


def test_check_option(rendering, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "render", lambda: rendering)  # main()'s own logic; rendering is tested above
    current, stale = tmp_path / "current.md", tmp_path / "stale.md"
    current.write_text(rendering.text, encoding="utf-8")
    stale.write_text(rendering.text + "edited by hand\n", encoding="utf-8")
    assert cli.main(["--check", str(current)]) == 0
    assert cli.main(["--check", str(stale)]) == 1
    assert f"{stale} is out of date: run `python -m proofs --output {stale}`" in capsys.readouterr().err
