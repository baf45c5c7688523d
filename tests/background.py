"""The suite's own gate runs in the background (zoo, misbehaving targets, command line, tutorial).

They start at collection and overlap the in-process properties; measured on the 2-core machine, the in-process
properties are the longer chain (≈ 45 s of one core) while a dozen background runs share the machine, so the
background runs yield: at a lower scheduling priority they take the CPU the in-process tests leave, instead of
slowing the critical path down to a seventh of a core (75 s wall before, against ≈ 110 s of CPU on 2 cores).
"""

from __future__ import annotations

import os
import subprocess

#: ``nice`` increment of the background runs: they get about a tenth of a core's share against the main run.
NICENESS = 10


def start(command, **kwargs) -> subprocess.Popen:
    """``subprocess.Popen`` at a lower priority; ``preexec`` (optional) runs in the child too."""
    preexec = kwargs.pop("preexec", None)

    def child():
        os.nice(NICENESS)
        if preexec is not None:
            preexec()

    return subprocess.Popen(command, preexec_fn=child, **kwargs)  # noqa: PLW1509 — before exec, no threads yet
