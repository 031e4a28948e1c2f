"""``ms-monitor demo`` drives launch/demo/demo.sh with this environment's executables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from smart_app.cli import main

MS_MONITOR = Path(sys.executable).with_name("ms-monitor")


def run_demo(*args: str, run_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEMO_RUN_DIR": str(run_dir)}
    env.pop("VENV", None)
    return subprocess.run(
        [str(MS_MONITOR), "demo", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_demo_status_reports_every_component_of_an_unstarted_stack(tmp_path: Path) -> None:
    result = run_demo("status", run_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [
        "redis: stopped",
        "worker: stopped",
        "sandbox: stopped",
        "app: stopped",
        "stopped",
    ]


def test_demo_stop_on_a_stopped_stack_is_harmless(tmp_path: Path) -> None:
    result = run_demo("stop", run_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "ms-monitor demo stopped"


def test_an_unknown_action_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["demo", "restart"])
    assert result.exit_code == 2
    assert "'restart' is not one of 'start', 'stop', 'status'" in result.stderr
