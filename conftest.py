"""The conformance gate: target loading, per-target parametrization, report header, summary, JSON.

``pytest --target T`` checks T (see ``spec/pytest_plugin.py`` for the options and profiles). Every
test marked ``@conformance(op, family, derivation)`` runs once per target (and per dtype where it
takes one); a target without the op, or raising ``NotImplementedError``, is "not provided"; a target
that could not be loaded is "unavailable". The terminal summary tabulates target × op × family.
"""

from __future__ import annotations

import gc
import json
import os
import shlex
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from spec.report import ReportWriter, label, merge
from spec.rope_parameters import EXTENSIONS
from spec.targets import Target, load_target, split_target_option
from tests import checks, strategies

pytest_plugins = ["spec.pytest_plugin"]


#: The session's config, for hooks that pytest calls without one (pytest_runtest_logreport).
_CONFIG: dict = {}


def pytest_configure(config):
    _CONFIG["config"] = config
    requested = config.getoption("--target")
    config.conformance_targets = [load_target(name) for name in split_target_option(requested)]
    if "torch" in sys.modules:
        # The gate's tensors are small: a second torch thread only adds contention (5–10× on a busy 2-core machine).
        sys.modules["torch"].set_num_threads(1)
    # A target asked for by name that cannot be loaded fails the run; the default torch-cuda only skips.
    config.conformance_required = bool(requested)
    config.conformance_records = []
    config.conformance_models = _models(config)
    path = config.getoption("--conformance-report")
    # Under pytest-xdist only the controller writes: the workers' records reach it on their test reports.
    config.conformance_writer = ReportWriter(path) if path and not hasattr(config, "workerinput") else None


#: The suite's tests of itself (array-api-tests' ``meta_tests/``): none carries the ``conformance`` mark.
META_TESTS = Path(__file__).parent / "tests" / "meta"


def pytest_ignore_collect(collection_path, config):
    """A ``-m conformance`` run does not collect the suite's tests of itself: importing them (every derivation,
    matplotlib) costs ≈ 4 s, and the mark would deselect each of them anyway."""
    if collection_path == META_TESTS and config.option.markexpr.strip() == "conformance":
        return True
    return None


def _models(config) -> list:
    """The models of --model and --rope-config (spec.models); a bad name or file is a usage error."""
    import json

    from spec import models

    names = split_target_option(config.getoption("--model"), default=())
    try:
        chosen = [models.model(n) for n in (models.catalogue() if "all" in names else names)]
        for path in config.getoption("--rope-config") or ():
            with open(path) as file:
                chosen.append(models.from_config(json.load(file), name=path))
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise pytest.UsageError(f"--model/--rope-config: {error}") from error
    return chosen


def pytest_report_header(config):
    from hypothesis import settings

    lines = [f"conformance: hypothesis profile {settings.get_current_profile_name()!r}"]
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


def pytest_generate_tests(metafunc):
    if "target" not in metafunc.fixturenames:
        return
    if "model" in metafunc.fixturenames:  # tests/test_models.py: the chosen models of the property's schemes
        schemes = metafunc.definition.get_closest_marker("models").args
        chosen = [m for m in metafunc.config.conformance_models if m.scheme in schemes]
        if "layer" in metafunc.fixturenames:
            cases = [(m, layer) for m in chosen for layer in m.rope]
            metafunc.parametrize("model,layer", cases, ids=[m.name if len(m.rope) == 1 else f"{m.name}-{layer.layers}" for m, layer in cases])
        else:
            metafunc.parametrize("model", chosen, ids=[m.name for m in chosen])
    targets = metafunc.config.conformance_targets
    if "dtype" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("dtypes")  # a property may restrict the dtypes it runs in
        chosen = split_target_option(metafunc.config.getoption("--dtype"), default=())  # and so may the user

        def wanted(dtype):
            return (not only or dtype in only.args) and (not chosen or dtype in chosen)

        # An unavailable target keeps its one "-" case whatever the dtypes chosen: it must still be reported.
        cases = [(t, d) for t in targets for d in (t.dtypes if not t.unavailable else ("-",)) if t.unavailable or wanted(d)]
        metafunc.parametrize("target,dtype", cases, ids=[f"{label(t.name)}-{d}" for t, d in cases])
    else:
        metafunc.parametrize("target", targets, ids=[label(t.name) for t in targets])


@pytest.fixture(autouse=True)
def _fresh_record(request):
    """Each test starts with an empty record (worst error, dtype, counterexample) and its target's position limit."""
    checks.RECORD.clear()
    found = _conformance(request.node)
    strategies.POSITION_LIMIT["value"] = found[1].max_position(found[0].kwargs["op"]) if found else None


def _conformance(item):
    """(marker, target) when ``item`` is a conformance property run on a target, else None."""
    marker = item.get_closest_marker("conformance")
    target = item.callspec.params.get("target") if hasattr(item, "callspec") else None
    if marker is None or not isinstance(target, Target):  # an empty parameter set (no dtype left) has no target
        return None
    return marker, target


def _record(item, status: str, message: str = "", **facts) -> dict:
    """The report record of a conformance test's outcome (collected from its test report, see below)."""
    marker, target = _conformance(item)
    record = {
        "target": target.name,
        "op": marker.kwargs["op"],
        "family": marker.kwargs["family"],
        "property": item.originalname,
        "derivation": marker.kwargs.get("derivation", ""),
        "dtype": item.callspec.params.get("dtype") or checks.RECORD.get("dtype", ""),
        "status": status,
        "max_error": checks.RECORD.get("max_error"),
        "tolerance": checks.RECORD.get("tolerance"),
        "counterexample": None,
        "reproduce": None,
        "message": message,
        "info": checks.RECORD.get("info"),
        "horizon": checks.RECORD.get("horizon"),
        "misbehaviour": None,
        "diagnosis": None,
        "model": _model_of(item),
        **facts,
    }
    return record


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Settle "unavailable" and "not provided" at collection: skipped with that status, never run.

    Skipping (rather than deselecting) sends the record through the test report, which is how it
    reaches the controller under pytest-xdist. With --model/--rope-config only the model properties
    run; without, none of them.
    """
    models_chosen = bool(config.conformance_models)
    kept = [item for item in items if ("model" in getattr(item, "fixturenames", ())) == models_chosen]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if ("model" in getattr(item, "fixturenames", ())) != models_chosen])
        items[:] = kept
    for item in items:
        found = _conformance(item)
        if found is None:
            continue
        marker, target = found
        op = marker.kwargs["op"]
        rope_type = item.callspec.params.get("rope_type") or marker.kwargs.get("rope_type")
        if target.unavailable:
            item.conformance_settled = ("unavailable", target.unavailable)
        elif not target.provides(op):
            item.conformance_settled = ("not provided", f"not provided: {op}")
        elif rope_type in EXTENSIONS and not target.declares(rope_type):
            item.conformance_settled = ("not provided", f"not provided: rope_type {rope_type!r} is an extension of the "
                                                        "vocabulary the target does not declare (EXTENSIONS, spec/protocol.py)")
        elif rope_type and not target.implements(rope_type):
            item.conformance_settled = ("not provided", f"not provided: rope_type {rope_type!r} (the target's ROPE_TYPES: "
                                                        f"{', '.join(target.rope_types)})")
        else:
            continue
        item.add_marker(pytest.mark.skip(reason=item.conformance_settled[1]))
    if config.getoption("--only-kills"):
        _keep_recorded_kills(config, items)
    if config.getoption("--verdicts-only"):
        settled = [item for item in items if hasattr(item, "conformance_settled")]
        if settled:
            config.hook.pytest_deselected(items=settled)
            items[:] = [item for item in items if not hasattr(item, "conformance_settled")]
    # A test module with slow work of its own (the zoo's gate runs) starts it now, to overlap the rest —
    # but not in pytest-xdist workers (each collects everything; only one runs the module) nor for --collect-only.
    if hasattr(config, "workerinput") or config.option.collectonly:
        return
    waiting = {item.module for item in items if hasattr(getattr(item, "module", None), "start_in_background")}
    for module in waiting:
        module.start_in_background(config)
    config.background_modules = waiting
    # Their tests wait for those runs: last, so that the in-process tests run meanwhile (a test waiting early
    # leaves the in-process work for the end, on one core).
    items.sort(key=lambda item: getattr(item, "module", None) in waiting)


def _model_of(item) -> str | None:
    """The model a model property ran on (tests/test_models.py): its catalogue name or its config.json path."""
    model = item.callspec.params.get("model") if hasattr(item, "callspec") else None
    return model.name if model is not None else None


def _reproduce(item) -> str:
    from hypothesis import settings

    target = item.callspec.params["target"]
    command = ["pytest", shlex.quote(item.nodeid), "--target", shlex.quote(target.name), f"--hypothesis-profile={settings.get_current_profile_name()}"]
    model = item.callspec.params.get("model")
    if model is not None:
        command += ["--model" if model.entry else "--rope-config", shlex.quote(model.name)]
    seed = item.config.getoption("hypothesis_seed", None)
    if seed is not None:
        command.append(f"--hypothesis-seed={seed}")
    prefix = "CI=1 " if os.environ.get("CI") else ""
    return prefix + " ".join(command)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if _conformance(item) is None or not (report.when == "call" or (report.when == "setup" and not report.passed)):
        return report
    if hasattr(item, "conformance_settled"):
        checks.RECORD.clear()  # skipped before any fixture ran: nothing of the previous test may leak in
        record = _record(item, *item.conformance_settled)
    elif report.passed:  # a pass where some drawn cases were not provided says which
        record = _record(item, "pass", f"partly {checks.RECORD['not_provided']}" if "not_provided" in checks.RECORD else "")
    elif report.skipped:  # NotImplementedError outside a Hypothesis test: checks.not_provided skipped it
        record = _record(item, "not provided", report.longrepr[2] if isinstance(report.longrepr, tuple) else "")
    elif _nothing_provided(call):  # every drawn case was one the target does not offer
        reason = checks.RECORD["not_provided"]
        report.outcome, report.longrepr = "skipped", (str(item.path), item.location[1] or 0, f"Skipped: {reason}")
        record = _record(item, "not provided", reason)
    else:
        violated = call.excinfo is not None and call.excinfo.errisinstance(AssertionError)
        record = _record(
            item, "fail" if violated else "error",
            # A violation says what is wrong; an error also names its exception ("SystemExit: 3").
            (str(call.excinfo.value) if violated or call.excinfo.errisinstance(checks.OpRaised) else call.excinfo.exconly())[:2000]
            if call.excinfo else "",
            reproduce=_reproduce(item), counterexample=checks.RECORD.get("counterexample"),
            misbehaviour=checks.RECORD.get("misbehaviour"),
        )
        if violated:
            record["diagnosis"] = _diagnosis(item, record)
        if record["diagnosis"]:
            report.sections.append(("diagnosis", f"{record['diagnosis']['verdict']}: {record['diagnosis']['text']}"))
        report.sections.append(("reproduce", record["reproduce"]))
    report.user_properties.append(("conformance", record))
    return report


#: (target, op, dtype, the failing call's configuration) -> its diagnosis: properties failing on one case share it.
_DIAGNOSES: dict[tuple, dict | None] = {}


def _diagnosis(item, record) -> dict | None:
    """What the target computes instead (tests/diagnosis), for a failing numeric property of an op that has a
    diagnoser. A misbehaviour (NaN, inf, a wrong shape, ...) is not diagnosed: its message says what happened.

    The failing example's configuration is among the op's last calls (a property also calls it on the plain
    reference, a shifted copy, ...): each distinct one is diagnosed, latest first, and the first that a
    hypothesis explains wins; else the latest that departs from the oracle; else the latest.
    """
    from tests import diagnosis

    calls = checks.RECORD.get("calls", {}).get(record["op"])
    if not calls or record["misbehaviour"]:
        return None
    target, dtype = item.callspec.params["target"], record["dtype"]
    found = []
    for arguments in {_configuration(call): call for call in reversed(calls)}.values():
        key = (target.name, record["op"], dtype, _configuration(arguments))
        if key not in _DIAGNOSES:
            result = diagnosis.diagnose(target, record["op"], dtype, arguments)
            _DIAGNOSES[key] = result.as_record() if result else None
        if _DIAGNOSES[key]:
            found.append(_DIAGNOSES[key])
    explained = [d for d in found if d["hypothesis"]]
    departing = [d for d in found if not d["text"].startswith(diagnosis.MATCHES_ORACLE)]
    return (explained or departing or found or [None])[0]


def _keep_recorded_kills(config, items) -> None:
    """``--only-kills``: a target the kill matrix names keeps only the properties recorded as killing it."""
    matrix = json.loads(Path(config.getoption("--only-kills")).read_text())
    recorded = {(member, prop) for prop, members in matrix.items() for member in members}
    named = {member for member, _ in recorded}
    dropped = []
    for item in items:
        found = _conformance(item)
        member = Path(found[1].name).stem if found else None
        if member in named and (member, item.originalname) not in recorded:
            dropped.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        dropped_ids = {id(item) for item in dropped}
        items[:] = [item for item in items if id(item) not in dropped_ids]


def _configuration(arguments: dict) -> tuple:
    """A call's arguments as the diagnosers use them: an array by its dtype and shape (they build their own probes)."""
    return tuple((name, (str(value.dtype), tuple(value.shape)) if hasattr(value, "shape") and hasattr(value, "dtype")
                  else repr(value)) for name, value in arguments.items())


def _nothing_provided(call) -> bool:
    """Hypothesis gave up because ``checks.not_provided`` discarded every case it drew (a misbehaviour is a
    ``FailedHealthCheck`` too, to stop at once, but a verdict on a case that was provided)."""
    from hypothesis.errors import FailedHealthCheck, Unsatisfiable

    misbehaved = call.excinfo and call.excinfo.errisinstance((checks.OpMisbehaved, checks.OpRaised, checks.OpNotCalled))
    return bool(call.excinfo and checks.RECORD.get("not_provided") and not misbehaved
                and call.excinfo.errisinstance((Unsatisfiable, FailedHealthCheck)))


def pytest_runtest_logreport(report):
    """Collect records where the session is summarised (the controller, under pytest-xdist)."""
    records = [value for key, value in report.user_properties if key == "conformance"]
    if not records:
        return
    config = _CONFIG["config"]
    config.conformance_records.extend(records)
    if config.conformance_writer:
        config.conformance_writer.write(_payload(config, complete=False))


def pytest_collection_finish(session):
    if session.config.conformance_writer:  # a report exists from the start, even if a target kills the run
        session.config.conformance_writer.write(_payload(session.config, complete=False), force=True)


def pytest_terminal_summary(terminalreporter, config):
    records = config.conformance_records
    if not records:
        return
    targets = [t.name for t in config.conformance_targets]
    table, derivations = defaultdict(set), defaultdict(set)
    for r in records:
        table[(r["op"], r["family"], r["target"])].add(r["status"])
        derivations[(r["op"], r["family"])].add(r["derivation"])
    rows = sorted({(op, family) for op, family, _ in table})
    width = max(len(f"{op} · {family}") for op, family in rows) + 2
    columns = [max(len(label(t)), 12) + 2 for t in targets]
    tr = terminalreporter
    tr.section("conformance: target × op × property family")
    tr.write_line("".ljust(width) + "".join(label(t).ljust(w) for t, w in zip(targets, columns)))
    for op, family in rows:
        cells = [merge(table[(op, family, t)]) if table.get((op, family, t)) else "-" for t in targets]
        row = f"{op} · {family}".ljust(width) + "".join(c.ljust(w) for c, w in zip(cells, columns))
        tr.write_line(row + "  ⟵ " + ", ".join(sorted(derivations[(op, family)])))
    if config.conformance_required:
        for target in config.conformance_targets:
            if target.unavailable:
                tr.write_line(f"target {target.name} was requested but is {target.unavailable} (exit status 1)", red=True)
    notes = sorted({(r["target"], r["info"]) for r in records if r.get("info")})
    if notes:
        tr.write_line("")
        tr.write_line("informational (measured, not a verdict):")
        for target, info in notes:
            tr.write_line(f"  {label(target)}: {info}")
    failures = [r for r in records if r["status"] in ("fail", "error")]
    if failures:
        _summarise_failures(tr, failures)


def _summarise_failures(tr, failures: list[dict]) -> None:
    """Misbehaving ops once per op; then each failure under its diagnosis's verdict (semantic errors, precision
    limits, the rest), each with the line that reproduces it."""
    from tests.diagnosis import PRECISION, SEMANTIC

    def category(record):
        if record.get("misbehaviour"):
            return "misbehaving"
        verdict = (record.get("diagnosis") or {}).get("verdict")
        return verdict if verdict in (SEMANTIC, PRECISION) else "other"

    tr.write_line("")
    tr.write_line(f"{len(failures)} non-conformant results")
    misbehaving = defaultdict(list)
    for r in failures:
        if category(r) == "misbehaving":
            misbehaving[(label(r["target"]), r["op"])].append(r)
    if misbehaving:
        tr.write_line("misbehaving ops (reported at the first example, not shrunk):", red=True)
        for (target, op), group in sorted(misbehaving.items()):
            first = (group[0]["message"].strip().splitlines() or [""])[0]
            first = first if first.startswith(op) else f"{op} {group[0]['misbehaviour']}: {first}"
            count = f"{len(group)} {'property' if len(group) == 1 else 'properties'}"
            tr.write_line(f"  {target} · {op}: {first}  [{count}; first: {group[0]['reproduce']}]")
    headings = {SEMANTIC: "semantic errors", PRECISION: "precision limits (exact at a lower precision, not a semantic error)",
                "other": "failures without a diagnosis"}
    for verdict, heading in headings.items():
        group = [r for r in failures if category(r) == verdict]
        if group:
            tr.write_line(f"{heading}; reproduce each with:")
        for r in group:
            tr.write_line(f"  [{r['status']}] {r['property']} ({r['target']}, {r['dtype']}; derivation {r['derivation']}): {r['reproduce']}")
            if r.get("diagnosis"):
                tr.write_line(f"      diagnosis: {r['diagnosis']['text']}")


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    for module in getattr(config, "background_modules", ()):  # runs no selected test waited for
        getattr(module, "stop_in_background", lambda: None)()
    unavailable = [t for t in config.conformance_targets if t.unavailable]
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and config.conformance_records:
        session.exitstatus = exitstatus = pytest.ExitCode.OK  # every selected property was settled as not provided
    if config.conformance_required and unavailable and exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = exitstatus = pytest.ExitCode.TESTS_FAILED
    if config.conformance_writer:
        complete = exitstatus != pytest.ExitCode.INTERRUPTED
        config.conformance_writer.write(_payload(config, complete=complete, exit_status=exitstatus), force=True)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    # The interpreter's last garbage collection at exit walks every object the run made (SymPy's caches,
    # Hypothesis' data, torch's modules): ≈ 1–2 s for nothing. Frozen, they are left to the process's end.
    gc.freeze()


def _payload(config, *, complete: bool, exit_status=None) -> dict:
    return {
        "complete": complete,
        "targets": [
            {"name": t.name, "unavailable": t.unavailable, "array_api": t.array_api, "device": t.device,
             "dtypes": list(t.dtypes), "versions": t.versions}
            for t in config.conformance_targets
        ],
        "python": sys.version.split()[0],
        "exit_status": None if exit_status is None else int(exit_status),
        "results": config.conformance_records,
    }
