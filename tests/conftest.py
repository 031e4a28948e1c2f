"""Session fixtures shared by every test directory.

``fhir_base_url`` is a real HAPI FHIR server: ``FHIR_BASE_URL`` if set, else the project's own
``launch/hapi`` module started on a free loopback port with an in-memory database. ``redis_url`` is
a real ``redis-server`` on a free loopback port, without persistence. A missing Java, Maven or
Redis fails the tests that need them (never a skip: CI must see it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from smart_app.fhir import FhirClient

REPO = Path(__file__).resolve().parent.parent
HAPI_SCRIPT = REPO / "launch" / "hapi" / "hapi.sh"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _hapi_server(
    tmp_path_factory: pytest.TempPathFactory, name: str, java_opts: str = ""
) -> Iterator[str]:
    """A ``launch/hapi`` server on a free loopback port (in-memory database), stopped after."""
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"the HAPI FHIR test server needs {' and '.join(missing)} on PATH "
            "(install a JDK 17+ and Maven, or set FHIR_BASE_URL to a running server)"
        )
    env = {**os.environ, "HAPI_RUN_DIR": str(tmp_path_factory.mktemp(name))}
    if java_opts:
        env["HAPI_JAVA_OPTS"] = java_opts
    started = subprocess.run(
        ["bash", str(HAPI_SCRIPT), "start", "--port", str(free_port()), "--db", "mem"],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    if started.returncode != 0:
        pytest.fail(f"HAPI FHIR did not start:\n{started.stdout[-3000:]}\n{started.stderr[-3000:]}")
    base_url = started.stdout.strip().splitlines()[-1]
    try:
        yield base_url
    finally:
        subprocess.run(
            ["bash", str(HAPI_SCRIPT), "stop"],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )


@pytest.fixture(scope="session")
def fhir_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("FHIR_BASE_URL")
    if configured:
        yield configured.rstrip("/")
        return
    yield from _hapi_server(tmp_path_factory, "hapi")


@pytest.fixture(scope="session")
def plan_store_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """ms-monitor's own plan store: a second ``launch/hapi`` instance (``PLAN_STORE_URL`` if set).

    A second JVM rather than a HAPI partition: partitioning would move every test's FHIR base
    under a tenant path and needs a rebuilt jar; the store needs little heap (512 MB here, the
    machine has several GB free), and a separate server proves the EHR never sees the plan.
    """
    configured = os.environ.get("PLAN_STORE_URL")
    if configured:
        yield configured.rstrip("/")
        return
    yield from _hapi_server(tmp_path_factory, "plan-store", java_opts="-Xmx512m")


@pytest.fixture
def fhir(fhir_base_url: str) -> FhirClient:
    return FhirClient(fhir_base_url)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail(
            "the queue and token-store tests need redis-server (apt-get install redis-server)"
        )
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path_factory.mktemp("redis"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    while True:
        try:
            if Redis.from_url(url).ping():
                break
        except RedisConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
