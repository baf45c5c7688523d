"""The gate itself: target resolution, the protocol's signatures, and the command line as users type it."""

from __future__ import annotations

import ast
import inspect
import json
import re
import signal
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import settings

from spec import protocol
from spec.targets import DEFAULT_TARGETS, load_target, split_target_option
from tests import background

ROOT = Path(__file__).resolve().parents[2]
INDEPENDENT = "tests/independent/complex_rope.py"


#: The pages whose Python examples are run as written (the front page's minimal target, the kernel adapter).
EXAMPLE_PAGES = ("README.md", "docs/running.md")


def _readme_example(marker: str) -> str:
    """The documentation's Python block that starts with ``# <marker>``, as a file's text."""
    for page in EXAMPLE_PAGES:
        text = (ROOT / page).read_text()
        if f"```python\n# {marker}" in text:
            return f"# {marker}" + text.split(f"```python\n# {marker}", 1)[1].split("```", 1)[0]
    raise AssertionError(f"no Python block starting with '# {marker}' in {EXAMPLE_PAGES}")


#: --model: the reference and, for each model property, a zoo member whose bug it shows on some model's configuration
#: (the RoPE ones on the config.json below, a float32 llama3 model: the numpy zoo members offer float64 and float32).
MODEL_TARGETS = ("numpy", "tests/zoo/rope_wrong_direction.py", "tests/zoo/scaling_llama3_no_smoothing.py",
                 "tests/zoo/alibi_slopes_non_power_of_two.py", "tests/zoo/alibi_bias_top_left_mask.py",
                 "tests/zoo/t5_sign_convention.py", "tests/zoo/learned_absolute_off_by_one.py")
MODELS = ("bloom", "t5-base", "gpt2", "qwen2-vl")
#: A user's config.json for --rope-config (Llama-3.1-8B's positional keys as Hugging Face writes them, in float32).
LLAMA_CONFIG = {"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32, "rope_theta": 500000.0,
                "max_position_embeddings": 131072, "torch_dtype": "float32",
                "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                 "original_max_position_embeddings": 8192}}

#: The gate as users run it, one subprocess per check: files to write first ({name: text}) and the
#: arguments ({folder} is where the files are). All start in the background at collection
#: (``start_in_background``), so they overlap the in-process tests instead of running one by one.
GATE_RUNS = {
    "failing": ({}, ["--target", "tests/zoo/rope_wrong_direction.py", "--conformance-report", "{folder}/report.json",
                     "tests/test_rope.py::test_rope_matches_oracle"]),
    "only_t5": ({"only_t5.py": lambda: "from impl.numpy_ref import t5_bucket\n"},
                ["--target", "{folder}/only_t5.py", "-m", "conformance", "tests/test_alibi.py", "tests/test_t5.py",
                 "-k", "golden or slopes"]),
    "absent": ({}, ["--target", "{folder}/absent.py", "-m", "conformance", "tests/test_t5.py"]),
    "readme_target": ({"my_rope.py": lambda: _readme_example("my_rope.py")},
                      ["--target", "{folder}/my_rope.py", "-m", "conformance", "--conformance-report", "{folder}/report.json",
                       "tests/test_rope.py", "tests/test_validation.py", "-k", "oracle or relative or validation"]),
    "interrupted": ({"slow.py": lambda: SLOW_TARGET},
                    ["--target", "{folder}/slow.py", "-m", "conformance", "--conformance-report", "{folder}/report.json",
                     "tests/test_t5.py"]),
    "readme_adapter": ({"my_kernel_adapter.py": lambda: _readme_example("my_kernel_adapter.py")},
                       ["--target", "{folder}/my_kernel_adapter.py", "-m", "conformance", "--conformance-report",
                        "{folder}/report.json", "tests/test_rope.py", "-k", "matches_oracle and half"]),
    "models": ({"config.json": lambda: json.dumps(LLAMA_CONFIG)},
               ["--target", ",".join(MODEL_TARGETS), "--model", ",".join(MODELS), "--rope-config", "{folder}/config.json",
                "-m", "conformance", "--conformance-report", "{folder}/report.json"]),
}
_STARTED: dict[str, tuple[background.Run, Path]] = {}
#: A target that answers the first property of tests/test_t5.py slowly (a second a call, so that its record is written
#: to the report: writes come at most every 2 s), then sleeps (asleep, not busy) until Ctrl-C: the run is still going
#: when the Ctrl-C comes, whenever the test gets to it (no op time limit in that run).
SLOW_TARGET = """import os
import time

from impl.numpy_ref import t5_bucket as _t5_bucket


def t5_bucket(*args, **kwargs):
    first = "test_t5_matches_exact_oracle" in os.environ.get("PYTEST_CURRENT_TEST", "")
    time.sleep(1.0 if first else 600)
    return _t5_bucket(*args, **kwargs)
"""


def start_in_background(config=None) -> None:
    """Start every GATE_RUNS run (conftest.py calls this when a test of this module is selected)."""
    for name, (files, args) in GATE_RUNS.items():
        if name in _STARTED:
            continue
        folder = Path(tempfile.mkdtemp(prefix=f"gate-{name}-"))
        for filename, text in files.items():
            (folder / filename).write_text(text())
        env = background.clean_environment(**({"CONFORMANCE_OP_TIMEOUT": "0"} if name == "interrupted" else {}))
        arguments = ["-p", "no:cacheprovider", "--hypothesis-profile=kill-matrix", *(a.format(folder=folder) for a in args)]
        # The README's kernel adapter wraps Hugging Face's kernel.
        preload = ("transformers",) if name == "readme_adapter" else ()
        _STARTED[name] = (background.pytest(arguments, folder / "output.log", env, preload=preload), folder)


def stop_in_background() -> None:
    """End the runs no selected test waited for (conftest.py, at the end of the session): the "interrupted" one
    sleeps until a Ctrl-C that only its own test sends."""
    for run, _ in _STARTED.values():
        if run.poll() is None:
            run.kill()
            run.wait()


def run_gate(name: str) -> tuple[int, str, Path]:
    """(exit code, combined output, folder) of the GATE_RUNS entry ``name`` (started now if not yet)."""
    start_in_background()
    process, folder = _STARTED[name]
    code = process.wait(timeout=600)
    return code, (folder / "output.log").read_text(), folder


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


def test_spaced_target_path_outside_the_project():
    """`pytest --target path/to/only_t5.py` with a space, from the project root, for a file elsewhere (a temporary
    folder): the project's configuration is still found (rootdir, ini file and its addopts)."""
    code, output, folder = run_gate("only_t5")
    mine = folder / "only_t5.py"
    assert code == 0, output
    assert f"rootdir: {ROOT}" in output and "configfile: pyproject.toml" in output
    assert "target " + str(mine) in output and re.search(r"t5_bucket · golden\s+pass", output), output


def test_failing_target_exits_1_with_counterexample_and_reproduction():
    code, output, folder = run_gate("failing")
    report = folder / "report.json"
    assert code == 1, output
    assert "outside tolerance" in output and "tolerance" in output and "reproduce" in output
    results = json.loads(report.read_text())["results"]
    failed = [r for r in results if r["status"] == "fail"]
    assert failed and all("pytest " in r["reproduce"] and r["counterexample"] for r in failed), failed


def test_missing_ops_are_not_provided_and_requested_unavailable_target_fails():
    code, output, _ = run_gate("only_t5")
    assert code == 0, output
    assert "not provided" in output
    code, output, _ = run_gate("absent")
    assert code == 1 and "requested but is unavailable" in output, output


def test_readme_example_target_passes():
    """The README's minimal target is runnable as written: conformant where it provides, "not provided" elsewhere."""
    code, output, folder = run_gate("readme_target")
    report = folder / "report.json"
    assert code == 0, output
    statuses = {(r["op"], r["status"]) for r in json.loads(report.read_text())["results"]}
    assert ("rope_apply", "pass") in statuses and ("rope_apply", "not provided") in statuses
    assert not {status for _, status in statuses} & {"fail", "error"}


def test_readme_kernel_adapter_passes():
    """The README's adapter for a kernel with its own conventions passes what it provides."""
    pytest.importorskip("transformers")
    code, output, folder = run_gate("readme_adapter")
    report = folder / "report.json"
    assert code == 0, output
    results = json.loads(report.read_text())["results"]
    assert {(r["dtype"], r["status"]) for r in results if r["status"] == "pass"} >= {("float32", "pass"), ("bfloat16", "pass")}
    assert report.with_suffix(".md").read_text().startswith("# Conformance report")


def test_model_properties_pass_the_reference_and_each_kills_a_zoo_member():
    """--model and --rope-config run only the model properties: the reference passes every one (an M-RoPE model is
    "not provided", with the reason), and each property fails for a zoo member on some model's configuration."""
    code, output, folder = run_gate("models")
    records = json.loads((folder / "report.json").read_text())["results"]
    assert code == 1 and records and all(r["property"].startswith("test_model_") for r in records), output[-3000:]
    reference = [r for r in records if r["target"] == "numpy"]
    assert {r["status"] for r in reference} == {"pass", "not provided"}, [r for r in reference if r["status"] != "pass"]
    assert any("M-RoPE" in r["message"] for r in reference if r["status"] == "not provided")
    assert any(r["model"] == str(folder / "config.json") for r in reference)  # --rope-config, named by its path
    failed = [r for r in records if r["status"] == "fail"]
    assert all(f"--model {r['model']}" in r["reproduce"] or f"--rope-config {r['model']}" in r["reproduce"] for r in failed)
    properties = {r["property"] for r in reference if r["status"] == "pass"}
    killed = {r["property"] for r in records if r["status"] == "fail"}
    assert properties <= killed, sorted(properties - killed)


def test_unknown_model_or_config_is_a_usage_error(tmp_path):
    import conftest

    class Options:
        def __init__(self, **given):
            self.given = given

        def getoption(self, name):
            return self.given.get(name)

    with pytest.raises(pytest.UsageError, match="--model 'no-such-model' must name one catalogue entry"):
        conftest._models(Options(**{"--model": ["no-such-model"]}))
    (tmp_path / "config.json").write_text(json.dumps({"hidden_size": 64}))
    with pytest.raises(pytest.UsageError, match="model_type is required"):
        conftest._models(Options(**{"--rope-config": [str(tmp_path / "config.json")]}))


def test_ctrl_c_leaves_a_partial_report():
    """Interrupted after some properties ran: exit 2 (pytest's "interrupted"), and the report holds what
    ran so far, marked incomplete, in JSON and Markdown."""
    start_in_background()
    process, folder = _STARTED["interrupted"]
    report = folder / "report.json"
    deadline = time.monotonic() + 120
    while not (report.exists() and json.loads(report.read_text())["results"]):
        assert process.poll() is None and time.monotonic() < deadline, (folder / "output.log").read_text()
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 2, (folder / "output.log").read_text()
    payload = json.loads(report.read_text())
    assert payload["complete"] is False and payload["exit_status"] == 2 and payload["results"]
    assert "Partial report" in report.with_suffix(".md").read_text()


def test_self_tests_and_properties_are_apart():
    """Every test in tests/test_*.py is a conformance property and none in tests/meta/ is, so ``-m conformance``
    runs every property while not even collecting the suite's tests of itself (conftest.py)."""
    def tests(path):
        tree = ast.parse(path.read_text())
        return {node.name: any("conformance(" in ast.unparse(d) for d in node.decorator_list)
                for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}

    unmarked = [f"{path.name}::{name}" for path in (ROOT / "tests").glob("test_*.py")
                for name, marked in tests(path).items() if not marked]
    marked = [f"{path.name}::{name}" for path in (ROOT / "tests" / "meta").glob("test_*.py")
              for name, marked in tests(path).items() if marked]
    assert not unmarked and not marked, (unmarked, marked)


def test_ci_runs_the_readme_test_command():
    readme_commands = [line.split("#")[0].strip() for line in (ROOT / "README.md").read_text().split("```bash\n", 1)[1].split("```")[0].splitlines()]
    assert len(readme_commands) == 2
    assert readme_commands[1] in (ROOT / ".ci" / "run").read_text()
