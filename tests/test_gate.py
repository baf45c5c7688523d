"""The gate itself: target resolution, the protocol's signatures, and the command line as users type it."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from spec import protocol
from spec.targets import DEFAULT_TARGETS, load_target, split_target_option

ROOT = Path(__file__).resolve().parent.parent
INDEPENDENT = "tests/independent/complex_rope.py"


def run_gate(*args, cwd=ROOT):
    """Run pytest as a user would (few examples: these tests check the gate, not the target).

    Returns (exit code, combined output)."""
    # A clean pytest environment; bytecode caching on, so the subprocesses share compiled modules.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST") and k != "PYTHONDONTWRITEBYTECODE"}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--hypothesis-profile=kill-matrix", *map(str, args)]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    return result.returncode, result.stdout + result.stderr


def test_builtin_module_and_file_targets_resolve():
    assert load_target("numpy").module.__name__ == "impl.numpy_ref"
    assert load_target("impl.numpy_ref").provides("rope_apply")
    target = load_target(str(ROOT / INDEPENDENT))
    assert target.unavailable is None and all(target.provides(op) for op in protocol.OPS)


def test_unloadable_targets_are_unavailable_not_fatal(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("raise ImportError('needs a GPU library')\n")
    assert "needs a GPU library" in load_target(str(broken)).unavailable
    assert "no such file" in load_target(str(tmp_path / "missing.py")).unavailable
    assert "unavailable" in load_target("no_such_module_anywhere").unavailable


def test_torch_cuda_is_unavailable_with_a_reason_without_cuda():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    assert "CUDA" in load_target("torch-cuda").unavailable


def test_target_option_splitting():
    assert split_target_option(None) == list(DEFAULT_TARGETS)
    assert split_target_option(["numpy,torch", " x.py "]) == ["numpy", "torch", "x.py"]


@pytest.mark.parametrize("name", ["numpy", "torch"])
def test_own_targets_follow_the_protocol_signatures(name):
    target = load_target(name)
    if target.unavailable:
        pytest.skip(target.unavailable)
    for op in protocol.OPS:
        expected = inspect.signature(getattr(protocol, op))
        assert inspect.signature(target.op(op)) == expected, op


def test_ci_profile_is_derandomized_without_database():
    profile = settings.get_profile("ci")
    assert profile.derandomize and profile.database is None and profile.deadline is None


def test_spaced_target_path_outside_the_project(tmp_path):
    """`pytest --target path/to/my_rope.py` with a space, from the project root, for a file elsewhere:
    the project's configuration is still found (rootdir, testpaths, addopts)."""
    mine = tmp_path / "my_rope.py"
    mine.write_text((ROOT / INDEPENDENT).read_text())
    code, output = run_gate("--target", mine, "-m", "conformance", "tests/test_t5.py", "-k", "t5_golden")
    assert code == 0, output
    assert f"rootdir: {ROOT}" in output and "configfile: pyproject.toml" in output and "testpaths: tests" in output
    assert "target " + str(mine) in output and "t5_bucket · golden" in output and "1 passed" in output


def test_failing_target_exits_1_with_counterexample_and_reproduction(tmp_path):
    report = tmp_path / "report.json"
    code, output = run_gate("--target", "tests/zoo/rope_wrong_direction.py", "--conformance-report", report,
                            "tests/test_rope.py::test_rope_matches_oracle")
    assert code == 1, output
    assert "outside tolerance" in output and "tolerance" in output and "reproduce" in output
    results = json.loads(report.read_text())["results"]
    failed = [r for r in results if r["status"] == "fail"]
    assert failed and all("pytest " in r["reproduce"] and r["counterexample"] for r in failed), failed


def test_missing_ops_are_not_provided_and_requested_unavailable_target_fails(tmp_path):
    only_t5 = tmp_path / "only_t5.py"
    only_t5.write_text("from impl.numpy_ref import t5_bucket\n")
    code, output = run_gate("--target", only_t5, "-m", "conformance", "tests/test_alibi.py", "tests/test_t5.py", "-k", "golden or slopes")
    assert code == 0, output
    assert "not provided" in output
    code, output = run_gate("--target", tmp_path / "absent.py", "-m", "conformance", "tests/test_t5.py")
    assert code == 1 and "requested but is unavailable" in output, output


def test_readme_example_target_passes(tmp_path):
    """The README's minimal target is runnable as written: conformant where it provides, "not provided" elsewhere."""
    readme = (ROOT / "README.md").read_text()
    example = readme.split("```python\n# my_rope.py", 1)[1].split("```", 1)[0]
    mine, report = tmp_path / "my_rope.py", tmp_path / "report.json"
    mine.write_text("# my_rope.py" + example)
    code, output = run_gate("--target", mine, "-m", "conformance", "--conformance-report", report,
                            "tests/test_rope.py", "tests/test_validation.py", "-k", "oracle or relative or validation")
    assert code == 0, output
    statuses = {(r["op"], r["status"]) for r in json.loads(report.read_text())["results"]}
    assert ("rope_apply", "pass") in statuses and ("rope_apply", "not provided") in statuses
    assert not {status for _, status in statuses} & {"fail", "error"}


def test_readme_kernel_adapter_passes(tmp_path):
    """The README's adapter for a kernel with its own conventions passes what it provides."""
    pytest.importorskip("transformers")
    readme = (ROOT / "README.md").read_text()
    example = readme.split("```python\n# my_kernel_adapter.py", 1)[1].split("```", 1)[0]
    mine, report = tmp_path / "my_kernel_adapter.py", tmp_path / "report.json"
    mine.write_text("# my_kernel_adapter.py" + example)
    code, output = run_gate("--target", mine, "-m", "conformance", "--conformance-report", report,
                            "tests/test_rope.py", "-k", "oracle or relative")
    assert code == 0, output
    results = json.loads(report.read_text())["results"]
    assert {(r["dtype"], r["status"]) for r in results if r["status"] == "pass"} >= {("float32", "pass"), ("bfloat16", "pass")}
    assert report.with_suffix(".md").read_text().startswith("# Conformance report")


def test_ci_runs_the_readme_test_command():
    readme_commands = [line.split("#")[0].strip() for line in (ROOT / "README.md").read_text().split("```bash\n", 1)[1].split("```")[0].splitlines()]
    assert len(readme_commands) == 2
    assert readme_commands[1] in (ROOT / ".ci" / "run").read_text()
