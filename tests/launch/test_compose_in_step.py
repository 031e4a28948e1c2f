"""docker-compose.yml stays in step with `make demo` (launch/demo/demo.sh) and with Settings.

Docker cannot run on our machines, so these checks keep the file true: the services and settings
against the demo, and Compose's own validation (`docker-compose config`, which needs no engine).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from smart_app.settings import Settings

REPO = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
DEMO = (REPO / "launch" / "demo" / "demo.sh").read_text()
HAPI_YAML = (
    REPO / "launch" / "hapi" / "src" / "main" / "resources" / "application.yaml"
).read_text()


def app_environment() -> dict[str, str]:
    env: dict[str, str] = COMPOSE["services"]["app"]["environment"]
    return env


def test_the_stack_has_every_service_of_the_demo() -> None:
    assert set(COMPOSE["services"]) == {
        "hapi",
        "redis",
        "seed",
        "app",
        "worker",
        "sandbox",
        "plan-store",
        "plan-store-db",
    }
    for name in ("app", "worker", "sandbox", "seed"):
        assert COMPOSE["services"][name]["environment"] == app_environment()


def test_the_plan_store_is_hapi_on_postgresql_where_the_app_looks_for_it() -> None:
    """Issue 11: the plan store runs on a real database in compose, on the demo's port."""
    store = COMPOSE["services"]["plan-store"]
    assert store["image"] == COMPOSE["services"]["hapi"]["image"]
    env = store["environment"]
    assert env["spring.datasource.url"].startswith("jdbc:postgresql://127.0.0.1:5433/")
    assert "5433" in " ".join(COMPOSE["services"]["plan-store-db"]["command"])
    assert env["hapi.fhir.allow_external_references"] == "true"
    port = re.search(r"PLAN_STORE_PORT=\$\{PLAN_STORE_PORT:-(\d+)\}", DEMO)
    assert port
    assert env["server.port"] == port.group(1)
    assert (
        app_environment()["MS_MONITOR_PLAN_STORE_URL"] == f"http://127.0.0.1:{port.group(1)}/fhir"
    )


def test_every_app_variable_is_a_setting_and_the_demo_sets_the_same_ones() -> None:
    in_compose = {name for name in app_environment() if name.startswith("MS_MONITOR_")}
    fields = {f"MS_MONITOR_{name.upper()}" for name in Settings.model_fields}
    assert in_compose <= fields
    in_demo = set(re.findall(r"\b(MS_MONITOR_[A-Z_]+)=", DEMO))
    assert in_demo == in_compose


def test_ports_and_server_settings_match_the_demo() -> None:
    env = app_environment()
    redis_port = re.search(r"REDIS_PORT=\$\{REDIS_PORT:-(\d+)\}", DEMO)
    assert redis_port
    assert env["MS_MONITOR_REDIS_URL"] == f"redis://127.0.0.1:{redis_port.group(1)}/0"
    assert redis_port.group(1) in COMPOSE["services"]["redis"]["command"]
    hapi = COMPOSE["services"]["hapi"]["environment"]
    max_page = re.search(r"max-page-size: \$\{HAPI_MAX_PAGE_SIZE:(\d+)\}", HAPI_YAML)
    assert max_page
    assert hapi["hapi.fhir.max_page_size"] == max_page.group(1)
    assert hapi["hapi.fhir.reuse_cached_search_results_millis"] == "0"
    assert COMPOSE["services"]["hapi"]["image"].endswith("v8.8.0-1")


def docker_compose_config(compose_file: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``docker-compose config -q``: Compose's own schema and interpolation check, no engine needed.

    Debian's docker-compose (installed by .ci/run); a missing client fails the test, never skips it.
    """
    client = shutil.which("docker-compose")
    assert client, "docker-compose is missing (Debian package docker-compose; .ci/run installs it)"
    return subprocess.run(
        [client, "-f", str(compose_file), "config", "-q"],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


SECRETS = {"MS_MONITOR_SECRET_KEY": "not-a-real-key", "MS_MONITOR_WEBHOOK_SECRET": "not-real"}


def test_docker_compose_accepts_the_file() -> None:
    result = docker_compose_config(REPO / "docker-compose.yml", **SECRETS)
    assert result.returncode == 0, result.stderr


def test_docker_compose_refuses_the_file_without_its_secrets() -> None:
    result = docker_compose_config(REPO / "docker-compose.yml")
    assert result.returncode != 0
    assert "set MS_MONITOR_SECRET_KEY" in result.stderr


def test_docker_compose_refuses_a_broken_copy(tmp_path: Path) -> None:
    broken = dict(COMPOSE)
    broken["services"] = {**COMPOSE["services"], "app": {**COMPOSE["services"]["app"], "ports": 5}}
    copy = tmp_path / "docker-compose.yml"
    copy.write_text(yaml.safe_dump(broken))
    result = docker_compose_config(copy, **SECRETS)
    assert result.returncode != 0
    assert "ports" in result.stderr
