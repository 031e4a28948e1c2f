"""A launch's FHIR requests and the app's overhead over the FHIR server's own time.

Targets (product.md): a launch reads in <= 2 requests and writes in 1; the app's time for a
dashboard <= 1.2x the FHIR server's time for the same requests. Measured with the app in
open-server mode straight on HAPI (no OAuth, so the ratio is the app's, not the sandbox proxy's):
each dashboard request is timed, its FHIR requests are recorded, then replayed raw.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import requests

from smart_app import create_app
from smart_app.auth import ClientRegistration, IssuerRegistry
from smart_app.fhir import FhirClient
from smart_app.seeding import seed_cohort
from smart_app.settings import Settings

TARGET_OVERHEAD = 1.2


@dataclass
class Recorded:
    method: str
    url: str
    body: bytes | None
    headers: dict[str, str]


@contextmanager
def recording(base: str) -> Iterator[list[Recorded]]:
    """Record every request sent to ``base`` through ``requests``."""
    seen: list[Recorded] = []
    original = requests.Session.send

    def send(self: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        if request.url and request.url.startswith(base):
            body = request.body.encode() if isinstance(request.body, str) else request.body
            seen.append(Recorded(str(request.method), request.url, body, dict(request.headers)))
        return original(self, request, **kwargs)

    requests.Session.send = send  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        requests.Session.send = original  # type: ignore[method-assign]


def _replay(session: requests.Session, calls: list[Recorded]) -> float:
    started = time.perf_counter()
    for call in calls:
        session.request(call.method, call.url, data=call.body, headers=call.headers, timeout=60)
    return time.perf_counter() - started


def run(fhir_base: str, launches: int = 30) -> list[tuple[str, str]]:
    members = seed_cohort(FhirClient(fhir_base), as_of=date.today(), patients=launches)
    registry = IssuerRegistry(
        [ClientRegistration(iss=fhir_base, client_id=None, auth_method="open")]
    )
    settings = Settings(
        cookie_secure=False, secret_key="bench", launch_rate_limit="100000 per minute"
    )  # one client address launches every patient
    app = create_app(settings, registry=registry)
    browser = app.test_client()
    raw = requests.Session()
    app_seconds = raw_seconds = 0.0
    read_counts: list[int] = []
    for index in range(members.patients):
        patient_id = f"msm-{index + 1:03d}"
        opened = browser.get(f"/launch?iss={fhir_base}&patient={patient_id}")
        dashboard = opened.headers["Location"]
        with recording(fhir_base) as calls:
            started = time.perf_counter()
            page = browser.get(dashboard)
            elapsed = time.perf_counter() - started
        assert page.status_code == 200, page.status_code
        if index < 3:  # warm-up: JIT on both sides, the CapabilityStatement cache
            continue
        app_seconds += elapsed
        raw_seconds += _replay(raw, calls)
        read_counts.append(len(calls))
    measured = len(read_counts)
    return [
        ("launches measured (open server, after 3 warm-up)", f"{measured}"),
        ("FHIR requests per dashboard (mean)", f"{sum(read_counts) / measured:.2f}"),
        ("FHIR requests per dashboard (max)", f"{max(read_counts)}"),
        ("app time per dashboard (ms)", f"{app_seconds / measured * 1000:.1f}"),
        ("FHIR server time, same requests (ms)", f"{raw_seconds / measured * 1000:.1f}"),
        ("overhead ratio (target <= 1.2x)", f"{app_seconds / raw_seconds:.2f}x"),
    ]
