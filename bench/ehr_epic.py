"""Reads on an Epic-like server (no batch) with 50 ms added to every FHIR request.

The sandbox behaves as Epic (``--ehr epic``) in front of HAPI, behind a small delaying WSGI layer
(each ``/fhir`` request waits ``LATENCY_SECONDS`` first, as a distant EHR would). Measured:

* a dashboard (the launch's service, steady state: the server profile cached): FHIR requests,
  wall time, and wall time against its best possible time, the same dashboard with no added
  latency plus the critical path (the longest chain of dependent requests: the searches, which
  are independent, and any next pages after them) times the latency. Target <= 1.3.
* a population run (``ms-monitor run --patient ...``'s service, dry run: Epic stores no app's
  plan) against a raw replay of the very requests it sent, at the same concurrency.
  Target >= 0.9.

Backend Services tokens from the sandbox's test-only key; synthetic patients only.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import make_server

from bench.launch import Recorded, recording
from bench.population import seed
from launch.sandbox import create_sandbox_app
from smart_app.auth.backend import BackendTokenSource
from smart_app.auth.jwks import load_signing_key
from smart_app.fhir import FhirClient
from smart_app.fhir.population_search import group_member_ids
from smart_app.fhir.server_profile import ServerProfiles
from smart_app.jobs.population_run import run_searched
from smart_app.service.context import rules_context
from smart_app.service.launch import load_dashboard
from smart_app.service.server_reads import read_setup

LATENCY_SECONDS = 0.05
TARGET_LAUNCH = 1.3
TARGET_POPULATION = 0.9
CONCURRENCY = 4
SCOPES = "system/*.rs"
SANDBOX = Path(__file__).resolve().parent.parent / "launch" / "sandbox"
PAGE_PARAM = "sessionID="  # Epic's next links (launch/sandbox/ehr/paging.py)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Delayed:
    """A WSGI layer adding ``seconds`` before each FHIR request (none before OAuth)."""

    def __init__(self, app: WsgiApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self.seconds and str(environ.get("PATH_INFO", "")).startswith("/fhir"):
            time.sleep(self.seconds)
        return self.app(environ, start_response)


@contextmanager
def epic_sandbox(hapi: str) -> Iterator[tuple[str, Delayed]]:
    server = make_server("127.0.0.1", 0, None, threaded=True)  # type: ignore[arg-type]
    base = f"http://127.0.0.1:{server.server_port}"
    app = create_sandbox_app(hapi, "http://127.0.0.1:5000/launch", public_base=base, ehr="epic")
    delayed = Delayed(app, 0.0)
    server.app = delayed
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"{base}/fhir", delayed
    finally:
        server.shutdown()


def backend_client(fhir_base: str) -> FhirClient:
    clients = json.loads((SANDBOX / "clients.json").read_text())["clients"]
    backend = next(c for c in clients if c["client_id"] == "ms-monitor-backend")
    kid = next(k["kid"] for k in backend["jwks"]["keys"] if k["alg"] == "RS384")
    pem = (SANDBOX / "keys" / "sandbox-test-only-ms-monitor-backend-rs384.pem").read_bytes()
    source = BackendTokenSource(
        fhir_base,
        client_id="ms-monitor-backend",
        signing_key=load_signing_key(pem, key_id=kid, alg="RS384"),
        scopes=SCOPES,
    )
    return FhirClient(fhir_base, token_source=source)


def dashboard(client: FhirClient, patient_id: str, profiles: ServerProfiles) -> float:
    context = rules_context(date.today())
    started = time.perf_counter()
    load_dashboard(
        client,
        patient_id=patient_id,
        granted=SCOPES.split(),
        open_server=False,
        capabilities=None,
        context=context,
        for_writing=False,
        setup=read_setup(
            client, context, granted=SCOPES.split(), from_client=False, profiles=profiles
        ),
    )
    return time.perf_counter() - started


def launch_rows(fhir_base: str, delayed: Delayed, patients: list[str]) -> list[tuple[str, str]]:
    client = backend_client(fhir_base)
    profiles = ServerProfiles()
    for pid in patients[:2]:  # warm: profile decided, ImagingStudy refusal remembered, token
        dashboard(client, pid, profiles)
    plain, slow, counts, pages = [], [], [], []
    for pid in patients:
        delayed.seconds = 0.0
        plain.append(dashboard(client, pid, profiles))
        delayed.seconds = LATENCY_SECONDS
        with recording(fhir_base) as seen:
            slow.append(dashboard(client, pid, profiles))
        counts.append(len(seen))
        pages.append(sum(PAGE_PARAM in r.url for r in seen))
    delayed.seconds = 0.0
    chain = 1 + max(pages)  # the searches are one round; next pages follow one another
    best = _median(plain) + chain * LATENCY_SECONDS
    return [
        ("FHIR requests per dashboard (median)", f"{_median(counts):.0f}"),
        ("critical path (dependent requests)", f"{chain}"),
        ("dashboard, no added latency (ms)", f"{_median(plain) * 1000:.0f}"),
        (
            f"dashboard, +{LATENCY_SECONDS * 1000:.0f} ms per request (ms)",
            f"{_median(slow) * 1000:.0f}",
        ),
        (
            f"ratio to no-latency + critical path (target <= {TARGET_LAUNCH})",
            f"{_median(slow) / best:.2f}",
        ),
    ]


def population_rows(fhir_base: str, delayed: Delayed, members: list[str]) -> list[tuple[str, str]]:
    """``ms-monitor run --patient ...`` (the emulated Epic serves no Group read)."""
    client = backend_client(fhir_base)
    context = rules_context(date.today())
    delayed.seconds = LATENCY_SECONDS
    run_searched(
        client,
        patients=members[:3],
        group_id=None,
        context=context,
        dry_run=True,
        concurrency=CONCURRENCY,
        show_progress=False,
    )  # warm: the profile and the refusals of this issuer
    with recording(fhir_base) as seen:
        started = time.perf_counter()
        summary = run_searched(
            client,
            patients=members,
            group_id=None,
            context=context,
            dry_run=True,
            concurrency=CONCURRENCY,
            show_progress=False,
        )
        run_seconds = time.perf_counter() - started
    replay_seconds = _replay(seen, CONCURRENCY)
    delayed.seconds = 0.0
    return [
        ("patients evaluated", f"{summary.evaluated}"),
        ("FHIR requests", f"{len(seen)}"),
        ("run (patients/s)", f"{summary.evaluated / run_seconds:.1f}"),
        ("raw replay of its requests (patients/s)", f"{summary.evaluated / replay_seconds:.1f}"),
        (f"ratio (target >= {TARGET_POPULATION})", f"{replay_seconds / run_seconds:.2f}"),
    ]


def _replay(seen: list[Recorded], concurrency: int) -> float:
    """The recorded requests again, as they were sent, ``concurrency`` patients' worth at once
    (the reader's own parallel GETs per patient included: about ten each)."""
    session = requests.Session()
    width = concurrency * 12

    def send(item: Recorded) -> None:
        session.request(item.method, item.url, data=item.body, headers=item.headers, timeout=60)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=width) as pool:
        list(pool.map(send, seen))
    return time.perf_counter() - started


def _median(values: list[float] | list[int]) -> float:
    ordered = sorted(values)
    return float(ordered[len(ordered) // 2])


def run(hapi: str, patients: int = 40) -> list[tuple[str, str]]:
    setup_client = FhirClient(hapi)
    group_id = seed(setup_client, patients)
    hapi_profile = ServerProfiles().profile_for(setup_client, None)
    members = group_member_ids(setup_client, group_id, hapi_profile)
    with epic_sandbox(hapi) as (fhir_base, delayed):
        rows = launch_rows(fhir_base, delayed, members[:10])
        rows += population_rows(fhir_base, delayed, members)
    return rows
