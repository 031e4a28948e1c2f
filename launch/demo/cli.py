"""``ms-monitor demo``: the local demo stack, the same script ``make demo`` and ``make stop`` run.

The stack is several processes (HAPI, Redis, a worker, the sandbox, gunicorn) with pids and logs in
``.run/``; ``demo.sh`` owns them, so this command only runs it with this environment's executables.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click

DEMO_SCRIPT = Path(__file__).with_name("demo.sh")


@click.command("demo")
@click.argument(
    "action", type=click.Choice(["start", "stop", "status"]), default="start", required=False
)
def demo(action: str) -> None:
    """Start, stop or show the local demo: HAPI with the cohort, Redis, worker, sandbox, app."""
    # demo.sh runs ms-monitor and gunicorn from $VENV/bin: the environment running this command.
    env = {**os.environ, "VENV": os.environ.get("VENV", sys.prefix)}
    bash = shutil.which("bash") or "/bin/bash"
    # Fixed script, action from a click Choice: nothing untrusted reaches the command line.
    completed = subprocess.run([bash, str(DEMO_SCRIPT), action], env=env, check=False)  # noqa: S603
    sys.exit(completed.returncode)
