"""``ms-monitor run --all`` and ``--group`` on vendor profiles: the sandbox as Epic, Oracle Health
and plain HAPI in front of the session's real HAPI, Backend Services tokens, the real CLI.

Epic and Oracle Health answer Condition only within a patient's chart and Epic serves Group only
through Bulk Data ``$export``: the run stops before any read or write with one line naming what
the server offers, and exit code 2. On HAPI the population search works as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from launch.sandbox import create_sandbox_app
from smart_app.cli import main
from smart_app.cli_common import EXIT_BAD_INPUT
from smart_app.fhir import FhirClient
from smart_app.fhir.population_search import ms_patient_ids
from smart_app.fhir.server_profile import ServerProfiles
from smart_app.service.connection import unattended_client
from smart_app.service.context import rules_context
from smart_app.service.server_reads import read_setup
from smart_app.settings import Settings
from tests.jobs.test_backend_sandbox import backend_key
from tests.jobs.test_batch_refused_hapi import AUDITED_SCOPES
from tests.jobs.test_events_hapi import load_fresh_patient, stored_plan_versions

pytestmark = pytest.mark.integration

TODAY = date.today()


@pytest.fixture(scope="module")
def sandbox_as(fhir_base_url: str) -> Iterator[Callable[[str], str]]:
    """The FHIR base of a sandbox behaving as the named EHR (started once per module)."""
    servers: dict[str, tuple[BaseWSGIServer, str]] = {}

    def start(ehr: str) -> str:
        if ehr not in servers:
            server = make_server("127.0.0.1", 0, Flask("placeholder"), threaded=True)
            base = f"http://127.0.0.1:{server.server_port}"
            server.app = create_sandbox_app(
                fhir_base_url, "http://127.0.0.1:5000/launch", public_base=base, ehr=ehr
            )
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers[ehr] = (server, f"{base}/fhir")
        return servers[ehr][1]

    try:
        yield start
    finally:
        for server, _base in servers.values():
            server.shutdown()


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> None:
    key_file, kid = backend_key("RS384")
    monkeypatch.setenv("MS_MONITOR_BACKEND_CLIENT_ID", "ms-monitor-backend")
    monkeypatch.setenv("MS_MONITOR_BACKEND_PRIVATE_KEY_FILE", str(key_file))
    monkeypatch.setenv("MS_MONITOR_BACKEND_KEY_ID", kid)
    monkeypatch.setenv("MS_MONITOR_BACKEND_ALG", "RS384")
    monkeypatch.setenv("MS_MONITOR_BACKEND_SCOPES", AUDITED_SCOPES)
    monkeypatch.delenv("MS_MONITOR_ISSUERS_FILE", raising=False)
    monkeypatch.delenv("MS_MONITOR_PLAN_STORE_URL", raising=False)


def run(fhir_base: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["run", "--fhir-base", fhir_base, "--auth", "backend", *args])


def error_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("ms-monitor: error")]
    assert len(lines) == 1, result.output + result.stderr
    return lines[0]


@pytest.mark.parametrize("ehr", ["epic", "oracle"])
def test_all_stops_before_any_write_where_condition_needs_a_patient(
    ehr: str, sandbox_as: Callable[[str], str], backend: None, fhir: FhirClient
) -> None:
    fhir_base = sandbox_as(ehr)
    waiting = load_fresh_patient(fhir, TODAY)  # an MS patient the run would otherwise write
    result = run(fhir_base, "--all")
    assert result.exit_code == EXIT_BAD_INPUT, result.output + result.stderr
    line = error_line(result)
    assert f"--all cannot find the MS patients on {fhir_base}" in line
    assert "--patient ID" in line
    if ehr == "epic":  # declares Condition?code, refuses it without a patient
        assert "refused Condition?code without a patient (400)" in line
        assert "--group ID --bulk (this server offers Group $export)" in line
    else:  # Oracle Health declares no Condition search by code, and no Group $export
        assert "offers no Condition search by code" in line
        assert "--bulk" not in line
    assert "patients evaluated" not in result.output, "no patient was run"
    assert stored_plan_versions(fhir, waiting) == [], "nothing was written"


def test_all_finds_the_ms_patients_on_hapi_as_before(
    sandbox_as: Callable[[str], str], backend: None, fhir: FhirClient
) -> None:
    fhir_base = sandbox_as("hapi")
    with_ms = load_fresh_patient(fhir, TODAY)
    client = unattended_client(fhir_base, auth="backend", settings=Settings())
    context = rules_context(TODAY)
    setup = read_setup(client, context, profiles=ServerProfiles())
    found = ms_patient_ids(client, context.terminology.ms_diagnosis, setup.profile(client))
    assert with_ms in found
    assert setup.profiles.refusals(fhir_base) == frozenset()


def test_group_on_epic_asks_for_bulk(sandbox_as: Callable[[str], str], backend: None) -> None:
    fhir_base = sandbox_as("epic")
    result = run(fhir_base, "--group", "ms-clinic")
    assert result.exit_code == EXIT_BAD_INPUT, result.output + result.stderr
    line = error_line(result)
    assert "serves Group/ms-clinic only through Bulk Data $export: add --bulk" in line
    everyone = run(fhir_base, "--all", "--bulk")
    assert everyone.exit_code == EXIT_BAD_INPUT, everyone.output + everyone.stderr
    assert "exports only Groups" in error_line(everyone)
    assert "use --group ID --bulk" in error_line(everyone)
