"""A sandbox behaving as one EHR on a loopback port, and counters of what landed where."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from flask import Flask
from werkzeug.serving import make_server

from launch.sandbox import create_sandbox_app
from launch.sandbox.state import SandboxState
from smart_app.domain.terminology import DEFAULT_CANONICAL_BASE

CANONICAL = DEFAULT_CANONICAL_BASE
NOTE_SYSTEM = f"{CANONICAL}/plan-note"
JSON = {"Accept": "application/fhir+json"}


@dataclass
class RunningEhr:
    """The sandbox as ``name`` in front of the EHR's HAPI, served on ``base``."""

    name: str
    base: str
    state: SandboxState

    @property
    def fhir(self) -> str:
        return f"{self.base}/fhir"


@contextmanager
def running_ehr(
    fhir_base_url: str, name: str, app_base: str = "http://127.0.0.1:5000"
) -> Iterator[RunningEhr]:
    state = SandboxState()
    server = make_server("127.0.0.1", 0, Flask("placeholder"), threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    server.app = create_sandbox_app(
        fhir_base_url, f"{app_base}/launch", public_base=base, state=state, ehr=name
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield RunningEhr(name, base, state)
    finally:
        server.shutdown()
        server.server_close()


def search_all(base: str, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """Every resource of a search on an open HAPI (the EHR's own store or the plan store)."""
    found: list[dict[str, Any]] = []
    url: str | None = f"{base}/{path}"
    query: dict[str, str] | None = {**params, "_count": "500"}
    while url:
        page = requests.get(url, params=query, headers=JSON, timeout=60).json()
        found += [e["resource"] for e in page.get("entry", []) if "resource" in e]
        url = next(
            (link["url"] for link in page.get("link", []) if link["relation"] == "next"), None
        )
        query = None
    return found


def ehr_notes(fhir_base_url: str, patient: str) -> list[dict[str, Any]]:
    """ms-monitor's plan notes in the EHR's own database (behind the sandbox)."""
    docs = search_all(fhir_base_url, "DocumentReference", {"patient": patient})
    return [d for d in docs if any(i.get("system") == NOTE_SYSTEM for i in d.get("identifier", []))]


def inbox_messages(fhir_base_url: str, patient: str) -> list[dict[str, Any]]:
    """ms-monitor's inbox Communications in the EHR's own database."""
    messages = search_all(fhir_base_url, "Communication", {"patient": patient})
    return [
        m for m in messages if any(i.get("system") == NOTE_SYSTEM for i in m.get("identifier", []))
    ]


def our_plan_in(base: str, patient: str) -> list[dict[str, Any]]:
    """Our CarePlans and Tasks on ``base`` for ``patient`` (found by identifier system)."""
    return [
        *search_all(
            base, "CarePlan", {"patient": patient, "identifier": f"{CANONICAL}/careplan-id|"}
        ),
        *search_all(base, "Task", {"patient": patient, "identifier": f"{CANONICAL}/task-id|"}),
    ]


def store_link(plan_store_url: str, issuer: str, patient: str) -> str:
    """The plan store's Patient link id for ``patient`` at ``issuer`` (exactly one)."""
    links = search_all(plan_store_url, "Patient", {"identifier": f"{issuer}|{patient}"})
    assert len(links) == 1, links
    return str(links[0]["id"])


def store_snapshot(plan_store_url: str, link: str) -> dict[str, str]:
    """Every resource the store keeps for one Patient link, with its version."""
    kept: dict[str, str] = {}
    for rtype, param in (
        ("CarePlan", "patient"),
        ("Task", "patient"),
        ("Basic", "subject"),
    ):
        for r in search_all(plan_store_url, rtype, {param: f"Patient/{link}"}):
            kept[f"{rtype}/{r['id']}"] = r["meta"]["versionId"]
    targets = ",".join(ref for ref in kept if ref.startswith(("CarePlan/", "Task/")))
    for r in search_all(plan_store_url, "Provenance", {"target": targets}) if targets else []:
        kept[f"Provenance/{r['id']}"] = r["meta"]["versionId"]
    return kept
