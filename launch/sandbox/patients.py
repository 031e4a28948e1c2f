"""Patients for the pickers and the banner, read straight from the upstream HAPI server.

The sandbox plays the EHR, which may see every patient; the app itself only ever sees HAPI
through the scope-checking proxy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from launch.sandbox.config import SandboxConfig
from smart_app.synthetic import scenario_description

PICKER_PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class PatientSummary:
    """What a picker row or the banner shows."""

    id: str
    name: str
    birth_date: str
    gender: str
    #: the synthetic cohort's one-line scenario (benign, active, natalizumab...), else ""
    scenario: str = ""


def summarize(resource: dict[str, Any]) -> PatientSummary:
    names = resource.get("name") or [{}]
    first = names[0] if isinstance(names, list) and names else {}
    text = first.get("text") if isinstance(first, dict) else None
    if not text and isinstance(first, dict):
        given = " ".join(str(g) for g in first.get("given", []))
        text = f"{given} {first.get('family', '')}".strip()
    return PatientSummary(
        id=str(resource.get("id", "")),
        name=text or "(no name)",
        birth_date=str(resource.get("birthDate", "")),
        gender=str(resource.get("gender", "")),
        scenario=scenario_description(str(resource.get("id", ""))) or "",
    )


def list_patients(config: SandboxConfig, query: str | None = None) -> list[PatientSummary]:
    """The first patients by id, or those whose name or id matches ``query`` (the search box)."""
    params = {"_count": str(PICKER_PAGE_SIZE), "_sort": "_id"}
    if query:
        params["name"] = query
    response = requests.get(
        f"{config.upstream}/Patient",
        params=params,
        headers={"Accept": "application/fhir+json"},
        timeout=config.upstream_timeout_seconds,
    )
    response.raise_for_status()
    bundle = response.json()
    return [
        summarize(entry["resource"])
        for entry in bundle.get("entry", [])
        if isinstance(entry.get("resource"), dict)
    ]


def read_patient(config: SandboxConfig, patient_id: str) -> PatientSummary | None:
    response = requests.get(
        f"{config.upstream}/Patient/{patient_id}",
        headers={"Accept": "application/fhir+json"},
        timeout=config.upstream_timeout_seconds,
    )
    if response.status_code != 200:
        return None
    return summarize(response.json())
