"""``ms-monitor seed`` loads the synthetic cohort into the real HAPI server, idempotently."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from smart_app.cli import main
from smart_app.fhir import FhirClient

pytestmark = pytest.mark.integration


def test_seeding_twice_loads_the_same_patients_once(fhir: FhirClient, fhir_base_url: str) -> None:
    args = ["seed", "--fhir-base", fhir_base_url, "--patients", "3", "--as-of", "2026-11-24"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.stderr
    assert first.stdout.startswith("loaded 3 patients")
    versions = {
        r["id"]: r["meta"]["versionId"]
        for r in fhir.search("Patient", {"_id": "msm-001,msm-002,msm-003"})
    }
    assert sorted(versions) == ["msm-001", "msm-002", "msm-003"]

    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.stderr
    again = {
        r["id"]: r["meta"]["versionId"]
        for r in fhir.search("Patient", {"_id": "msm-001,msm-002,msm-003"})
    }
    assert again == versions, "identical PUTs create no new versions"


def test_an_unreachable_server_is_one_line_and_exit_1() -> None:
    result = CliRunner().invoke(
        main, ["seed", "--fhir-base", "http://127.0.0.1:9/fhir", "--patients", "1"]
    )
    assert result.exit_code == 1
    assert "cannot reach the FHIR server" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
