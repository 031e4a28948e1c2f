"""A HAPI FHIR server for the benchmarks: ``FHIR_BASE_URL`` if set, else launch/hapi in memory."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HAPI_SCRIPT = Path(__file__).resolve().parent.parent / "launch" / "hapi" / "hapi.sh"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fhir_server() -> Iterator[str]:
    configured = os.environ.get("FHIR_BASE_URL")
    if configured:
        yield configured.rstrip("/")
        return
    with tempfile.TemporaryDirectory() as run_dir:
        env = {**os.environ, "HAPI_RUN_DIR": run_dir}
        started = subprocess.run(
            ["bash", str(HAPI_SCRIPT), "start", "--port", str(_free_port()), "--db", "mem"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        try:
            yield started.stdout.strip().splitlines()[-1]
        finally:
            subprocess.run(["bash", str(HAPI_SCRIPT), "stop"], env=env, check=False)
