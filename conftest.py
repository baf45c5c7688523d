"""The conformance gate: target loading, per-target parametrization, report header, summary, JSON.

``pytest --target T`` checks T (see ``spec/pytest_plugin.py`` for the options and profiles). Every
test marked ``@conformance(op, family, derivation)`` runs once per target (and per dtype where it
takes one); a target without the op, or raising ``NotImplementedError``, is "not provided"; a target
that could not be loaded is "unavailable". The terminal summary tabulates target × op × family.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from spec.targets import load_target, split_target_option
from tests import checks

pytest_plugins = ["spec.pytest_plugin"]

STATUS_ORDER = ("fail", "error", "pass", "not provided", "unavailable")


def pytest_configure(config):
    requested = config.getoption("--target")
    config.conformance_targets = [load_target(name) for name in split_target_option(requested)]
    # A target asked for by name that cannot be loaded fails the run; the default torch-cuda only skips.
    config.conformance_required = bool(requested)
    config.conformance_records = []


def pytest_report_header(config):
    from hypothesis import settings

    lines = [f"conformance: hypothesis profile {settings._current_profile!r}"]
    for target in config.conformance_targets:
        if target.unavailable:
            lines.append(f"  target {target.name}: {target.unavailable}")
            continue
        versions = ", ".join(f"{k} {v}" for k, v in target.versions.items())
        lines.append(
            f"  target {target.name}: {target.module.__name__} [{target.array_api} on {target.device}; "
            f"dtypes {', '.join(target.dtypes)}; {versions}]"
        )
    return lines


def _label(name: str) -> str:
    """Short id of a target: a file target's stem, else its name."""
    return Path(name).stem if name.endswith(".py") else name


def pytest_generate_tests(metafunc):
    if "target" not in metafunc.fixturenames:
        return
    targets = metafunc.config.conformance_targets
    if "dtype" in metafunc.fixturenames:
        cases = [(t, d) for t in targets for d in (t.dtypes if not t.unavailable else ("-",))]
        metafunc.parametrize("target,dtype", cases, ids=[f"{_label(t.name)}-{d}" for t, d in cases])
    else:
        metafunc.parametrize("target", targets, ids=[_label(t.name) for t in targets])


@pytest.fixture(autouse=True)
def _conformance_gate(request):
    """Skip a property whose target is unavailable or lacks the op; reset the per-test record."""
    checks.RECORD.clear()
    marker = request.node.get_closest_marker("conformance")
    if marker is None or "target" not in request.fixturenames:
        return
    target = request.getfixturevalue("target")
    if target.unavailable:
        pytest.skip(target.unavailable)
    op = marker.kwargs["op"]
    if not target.provides(op):
        pytest.skip(f"not provided: {op}")


def _reproduce(item) -> str:
    from hypothesis import settings

    target = item.callspec.params["target"]
    command = ["pytest", shlex.quote(item.nodeid), "--target", shlex.quote(target.name), f"--hypothesis-profile={settings._current_profile}"]
    seed = item.config.getoption("hypothesis_seed", None)
    if seed is not None:
        command.append(f"--hypothesis-seed={seed}")
    prefix = "CI=1 " if os.environ.get("CI") else ""
    return prefix + " ".join(command)


def _status(report) -> str:
    if report.passed:
        return "pass"
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        return "unavailable" if "unavailable" in reason else "not provided"
    return "fail" if report.conformance_failure else "error"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    marker = item.get_closest_marker("conformance")
    callspec = getattr(item, "callspec", None)
    if marker is None or callspec is None or "target" not in callspec.params:
        return report
    if report.when == "call" or (report.when == "setup" and not report.passed):
        report.conformance_failure = call.excinfo is not None and call.excinfo.errisinstance(AssertionError)
        target = callspec.params["target"]
        record = {
            "target": target.name,
            "op": marker.kwargs["op"],
            "family": marker.kwargs["family"],
            "property": item.originalname,
            "derivation": marker.kwargs.get("derivation", ""),
            "dtype": callspec.params.get("dtype", checks.RECORD.get("dtype", "")),
            "status": _status(report),
            "max_error": checks.RECORD.get("max_error"),
            "tolerance": checks.RECORD.get("tolerance"),
            "counterexample": None,
            "reproduce": None,
            "message": "",
        }
        if report.failed:
            record["reproduce"] = _reproduce(item)
            record["counterexample"] = checks.RECORD.get("counterexample")
            record["message"] = str(call.excinfo.value).splitlines()[0][:500] if call.excinfo else ""
            report.sections.append(("reproduce", record["reproduce"]))
        elif report.skipped:
            record["message"] = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        item.config.conformance_records.append(record)
    return report


def _merge(statuses: set[str]) -> str:
    return next(s for s in STATUS_ORDER if s in statuses)


def pytest_terminal_summary(terminalreporter, config):
    records = config.conformance_records
    if not records:
        return
    targets = list(dict.fromkeys(r["target"] for r in records))
    table = defaultdict(set)
    for r in records:
        table[(r["op"], r["family"], r["target"])].add(r["status"])
    rows = sorted({(op, family) for op, family, _ in table})
    width = max(len(f"{op} · {family}") for op, family in rows) + 2
    columns = [max(len(_label(t)), 12) + 2 for t in targets]
    tr = terminalreporter
    tr.section("conformance: target × op × property family")
    tr.write_line("".ljust(width) + "".join(_label(t).ljust(w) for t, w in zip(targets, columns)))
    for op, family in rows:
        cells = [_merge(table[(op, family, t)]) if table.get((op, family, t)) else "-" for t in targets]
        tr.write_line(f"{op} · {family}".ljust(width) + "".join(c.ljust(w) for c, w in zip(cells, columns)))
    if config.conformance_required:
        for target in config.conformance_targets:
            if target.unavailable:
                tr.write_line(f"target {target.name} was requested but is {target.unavailable} (exit status 1)", red=True)
    failures = [r for r in records if r["status"] in ("fail", "error")]
    if failures:
        tr.write_line("")
        tr.write_line(f"{len(failures)} non-conformant results; reproduce each with:")
        for r in failures:
            tr.write_line(f"  [{r['status']}] {r['property']} ({r['target']}, {r['dtype']}): {r['reproduce']}")


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    unavailable = [t for t in config.conformance_targets if t.unavailable]
    if config.conformance_required and unavailable and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = exitstatus = pytest.ExitCode.TESTS_FAILED
    path = config.getoption("--conformance-report")
    if not path:
        return
    payload = {
        "targets": [
            {"name": t.name, "unavailable": t.unavailable, "array_api": t.array_api, "device": t.device,
             "dtypes": list(t.dtypes), "versions": t.versions}
            for t in config.conformance_targets
        ],
        "python": sys.version.split()[0],
        "exit_status": int(exitstatus),
        "results": config.conformance_records,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1, default=str))
    tmp.replace(path)
