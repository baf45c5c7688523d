"""The suite's own gate runs in the background (zoo, misbehaving targets, command line, tutorial).

Each is a pytest command line of its own, started at collection to overlap the in-process properties. Two
measurements on the 2-core machine shape how they start:

- They yield. The in-process properties are the longer chain (≈ 45 s of one core); a dozen runs at the same
  priority took six sevenths of the CPU from it (75 s wall against ≈ 110 s of CPU on 2 cores). At ``nice`` 10 they
  take what the in-process tests leave.
- They fork from one warm interpreter. Each of a dozen runs spent ≈ 2 s importing the same libraries (torch,
  SymPy, NumPy, mpmath; transformers for two) before collecting, and ≈ 0.5 s tearing them down. A server
  (``python -m tests.background``) imports them once, then forks a run per request. The run is the command line
  as users type it: ``python -m pytest``'s own ``__main__`` on the run's ``sys.argv``, working directory,
  environment and output file; it ends as multiprocessing ends a forked child (exit handlers, then ``os._exit``).
  The default run went from ≈ 114 s to ≈ 77 s of CPU.

The server answers through files beside each run's log (``<log>.pid``, ``<log>.status``): the gate never blocks
on it while it is still importing.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import json
import os
import runpy
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

#: ``nice`` increment of the background runs: they get about a tenth of a core's share against the main run.
NICENESS = 10
ROOT = Path(__file__).resolve().parents[1]
#: What every run imports first: the libraries (≈ 1.7 s). Not the project's packages nor Hypothesis: pytest rewrites
#: the asserts of a pytest plugin's distribution (this project's, Hypothesis'), so the run must import them itself.
PRELOAD = ("numpy", "torch", "mpmath", "sympy", "ml_dtypes", "pytest")
#: An environment variable naming a file: each run's CPU seconds are appended to it (``scripts/time_budget.py``).
CPU_LOG = "CONFORMANCE_BACKGROUND_CPU"
_SERVER: list[subprocess.Popen] = []


class Run:
    """A forked gate run: the part of ``subprocess.Popen`` the self-tests use (poll, wait, kill, send_signal)."""

    def __init__(self, args: list[str], log: Path):
        self.args, self.log, self.returncode = args, log, None

    @property
    def pid(self) -> int:
        """The run's process id (written by the server as soon as it forks the run)."""
        pid_file = self.log.with_name(self.log.name + ".pid")
        deadline = time.monotonic() + 120
        while not pid_file.exists() or not pid_file.read_text().endswith("\n"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the background server did not start {self.args}; see {server_log()}")
            time.sleep(0.05)
        return int(pid_file.read_text())

    def poll(self) -> int | None:
        status = self.log.with_name(self.log.name + ".status")
        if self.returncode is None and status.exists() and status.read_text().endswith("\n"):
            self.returncode = int(status.read_text())
        if self.returncode is None and _SERVER[0].poll() is not None:
            raise RuntimeError(f"the background server ended without running {self.args}; see {server_log()}")
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def clean_environment(**overrides: str) -> dict[str, str]:
    """This process's environment without pytest's variables; bytecode caching on, so the runs share compiled modules."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST") and k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **overrides}


def pytest(args: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path = ROOT, preload=()) -> Run:
    """Start ``python -m pytest <args>`` in ``cwd`` with ``env`` (default: :func:`clean_environment`), its output
    (stdout and stderr) going to ``log``; SIGINT raises KeyboardInterrupt in it, as in a terminal. ``preload``: more
    modules it imports (transformers), which the server imports once, after forking the runs that do not need them."""
    if not _SERVER or _SERVER[0].poll() is not None:
        _SERVER[:] = [_start_server()]
    request = {"args": list(args), "log": str(log), "cwd": str(cwd), "env": clean_environment() if env is None else env,
               "preload": list(preload)}
    for suffix in (".pid", ".status"):
        log.with_name(log.name + suffix).unlink(missing_ok=True)
    _SERVER[0].stdin.write(json.dumps(request) + "\n")
    _SERVER[0].stdin.flush()
    return Run(args, log)


def server_log() -> Path:
    return Path(os.environ.get("TMPDIR", "/tmp")) / f"posenc-background-{os.getpid()}.log"


def _start_server() -> subprocess.Popen:
    with open(server_log(), "w") as log:
        return subprocess.Popen([sys.executable, "-m", "tests.background"], cwd=ROOT, env=clean_environment(),
                                stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, text=True,
                                preexec_fn=lambda: os.nice(NICENESS))  # noqa: PLW1509 — before exec, no threads yet


def _serve() -> dict | None:
    """The server's loop: fork a run per request line, record its pid and exit status. Returns the request in
    each forked child (which then runs it), None in the server once its input is closed and every run ended."""
    for name in PRELOAD:
        importlib.import_module(name)
    received, pending, children, closed = b"", [], {}, False
    while not closed or children:
        if closed:
            time.sleep(0.05)
        elif select.select([0], [], [], 0.05)[0]:
            chunk = os.read(0, 1 << 16)
            closed = not chunk
            *lines, received = (received + chunk).split(b"\n")
            pending += [json.loads(line) for line in lines]
            continue  # the whole burst first: the runs that need no more imports fork first
        pending.sort(key=lambda request: not set(request["preload"]) <= sys.modules.keys())
        for request in pending:
            for name in request["preload"]:
                importlib.import_module(name)
            sys.stdout.flush()
            gc.freeze()  # the runs' garbage collections then leave the shared pages alone
            pid = os.fork()
            if pid == 0:
                return request
            children[pid] = request["log"]
            Path(request["log"] + ".pid").write_text(f"{pid}\n")
        pending.clear()
        while children:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
            if pid == 0:
                break
            log = children.pop(pid)
            Path(log + ".status").write_text(f"{os.waitstatus_to_exitcode(status)}\n")
            if os.environ.get(CPU_LOG):
                with open(os.environ[CPU_LOG], "a") as record:
                    record.write(json.dumps({"log": log, "cpu": usage.ru_utime + usage.ru_stime}) + "\n")
    return None


def _run(request: dict) -> None:
    """In the forked child: become ``python -m pytest <args>`` in the request's directory and environment."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.chdir(request["cwd"])
    sys.path[0] = request["cwd"]
    os.environ.clear()
    os.environ.update(request["env"])
    output = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    sys.argv = ["pytest", *request["args"]]
    try:
        runpy.run_module("pytest", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as end:
        code = 0 if end.code is None else end.code if isinstance(end.code, int) else 1
    # As multiprocessing ends a forked child: the exit handlers, then no interpreter teardown, which would write to
    # every page the server shared with it (≈ 0.5 s).
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    forked = _serve()
    if forked is not None:
        _run(forked)
