"""The teaching figures (``scripts/figures.py``): every generator draws, and docs/figures/ holds exactly their PNGs."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "figures.py"
FOLDER = ROOT / "docs" / "figures"


def _load():
    spec = importlib.util.spec_from_file_location("figures_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


figures = _load()


@pytest.mark.parametrize("name", sorted(figures.FIGURES))
def test_figure_draws(name):
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure

    figure = figures.FIGURES[name]()
    try:
        assert isinstance(figure, Figure)
        assert figure.axes, f"{name}: no axes"
        with_data = [ax for ax in figure.axes if ax.lines or ax.images or ax.patches or ax.collections]
        assert with_data, f"{name}: no axes holds data"
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=30)
        assert buffer.getvalue().startswith(b"\x89PNG")
    finally:
        plt.close(figure)


def test_docs_figures_match_generators():
    """Every PNG in docs/figures/ has a generator (``python scripts/figures.py`` writes them all) and vice versa."""
    on_disk = {path.stem for path in FOLDER.glob("*.png")}
    assert on_disk == set(figures.FIGURES), (
        f"without a generator: {sorted(on_disk - set(figures.FIGURES))}; "
        f"not generated (run python scripts/figures.py): {sorted(set(figures.FIGURES) - on_disk)}")



def test_every_figure_the_derivations_show_exists():
    """``python -m proofs`` puts each scheme's figure under its section: the files must be there."""
    from proofs.render import FIGURES as SECTION_FIGURES

    missing = sorted({path for path in SECTION_FIGURES.values() if not (ROOT / "docs" / path).exists()})
    assert not missing, missing
