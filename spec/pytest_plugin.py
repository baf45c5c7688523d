"""The gate's command-line options and Hypothesis profiles, registered before pytest parses paths.

Installed as a ``pytest11`` entry point (pyproject.toml), this module is loaded before pytest reads
its positional arguments, so ``pytest --target path/to/my_rope.py`` (with a space) parses as the
option's value instead of a test path. ``conftest.py`` names it in ``pytest_plugins`` too, which is a
no-op when the entry point already registered it.

Profiles: ``ci`` (derandomized, no deadline, no example database; loaded when ``CI`` is set), ``dev``
(default), ``thorough`` (nightly: many more examples), ``kill-matrix`` (the zoo meta-test: like
``ci`` but 4 examples and no shrinking — it only needs the verdicts, and the zoo's bugs are gross).
"""

from __future__ import annotations

import os

import pytest
from _pytest.config.findpaths import determine_setup
from hypothesis import HealthCheck, Phase, settings

_COMMON = {
    "deadline": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
}
settings.register_profile("ci", max_examples=12, derandomize=True, database=None, **_COMMON)
settings.register_profile("dev", max_examples=8, **_COMMON)
settings.register_profile("thorough", max_examples=300, **_COMMON)
settings.register_profile(
    "kill-matrix", max_examples=3, derandomize=True, database=None,
    phases=[Phase.explicit, Phase.generate], **_COMMON,
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def _draws_independent_of_imports() -> None:
    """Hypothesis (≥ 6.131) mixes into its draws the literals of whatever local modules are imported when a test
    runs (parsed under a 100 ms budget), so a derandomized run drew differently by which modules its command line
    collected and which tests ran before: a zoo member ``pytest tests/test_mrope.py`` kills survived the same
    property in a run that did not collect ``tests/meta/``. A verdict must reproduce from its printed command, so
    that pool stays empty; Hypothesis' own boundary constants are still drawn. (Internal API: without it, nothing.)"""
    from hypothesis.internal.conjecture import providers

    if hasattr(providers, "_get_local_constants") and hasattr(providers, "Constants"):
        none = providers.Constants()
        providers._get_local_constants = lambda: none


_draws_independent_of_imports()


def pytest_addoption(parser):
    group = parser.getgroup("conformance", "positional-encoding conformance gate")
    group.addoption(
        "--target",
        action="append",
        metavar="TARGET",
        help="target to check: numpy, torch, torch-cuda, a module path or a .py file; comma-separate or repeat. "
        "Default: the project's own targets. Loading a target executes its code.",
    )
    group.addoption(
        "--dtype",
        action="append",
        metavar="DTYPE",
        help="check only these of each target's dtypes (float64, float32, float16, bfloat16); comma-separate or repeat",
    )
    group.addoption(
        "--model",
        action="append",
        metavar="NAME",
        help="check the target on exactly this released model's positional configuration (spec/models.json: a name, "
        "a unique prefix of one, or 'all'); comma-separate or repeat. Only the model properties run",
    )
    group.addoption(
        "--rope-config",
        action="append",
        metavar="PATH",
        help="as --model, for a Hugging Face config.json (its model_type decides the layout); repeatable",
    )
    group.addoption(
        "--verdicts-only",
        action="store_true",
        help="leave out (deselect) what is settled as unavailable or not provided at collection instead of reporting "
        "it: for runs where only pass/fail matter, such as the suite's own kill matrix",
    )
    group.addoption(
        "--only-kills",
        metavar="PATH",
        help="run each target the kill matrix at PATH names (docs/kill-matrix.json: property → zoo members) only on "
        "the properties it records as killing it; other targets run in full. For the zoo self-test: every recorded "
        "kill must still happen",
    )
    group.addoption(
        "--conformance-report",
        metavar="PATH",
        help="write a JSON record per (target, op, property, dtype) to PATH",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """Find the project's configuration as if ``--target PATH`` had never looked like a test path.

    pytest picks its rootdir and ini file from the positional arguments *before* plugins add their
    options, so ``--target /elsewhere/my_rope.py`` made it look in ``/elsewhere``. Now that the option
    is known, the real positional arguments are; redo that one step with them.
    """
    ns = early_config.known_args_namespace
    if not ns.target or early_config.inipath is not None or ns.inifilename or ns.rootdir:
        return
    rootpath, inipath, inicfg, _ = determine_setup(
        inifile=None, override_ini=ns.override_ini, args=ns.file_or_dir, rootdir_cmd_arg=None,
        invocation_dir=early_config.invocation_params.dir,
    )
    if inipath is None:
        return
    early_config._rootpath, early_config._inipath, early_config._inicfg = rootpath, inipath, inicfg
    early_config._inicache.clear()
    ns.confcutdir = str(inipath.parent)
    args[:] = [*early_config.getini("addopts"), *args]


def pytest_configure(config):
    config.addinivalue_line("markers", "conformance(op, family, derivation): a conformance property of one op")
    config.addinivalue_line("markers", "dtypes(*names): run this property only in these of the target's dtypes")
    config.addinivalue_line("markers", "models(*schemes): a model property, run for the --model/--rope-config models of these schemes")
