"""CDS Hooks ``patient-view`` latency with prefetch, through the Flask test client.

Each call carries a freshly signed client JWT (a new ``jti``: replays are refused) and the
prefetch of one synthetic patient; the service verifies, evaluates and answers cards.
Target: p95 < 500 ms.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import date
from typing import Any

from joserfc import jwt

from bench.table import print_table
from smart_app.auth.jwks import generate_signing_key, public_jwks
from smart_app.domain.reads import ENGINE_READS
from smart_app.settings import Settings
from smart_app.synthetic import cohort
from smart_app.web.app import create_app
from smart_app.web.cds_hooks import SERVICE_ID, CdsClientVerifier, ReplayCache

AS_OF = date(2026, 11, 24)
ISS = "https://ehr.example.org/cds-client"
JWKS_URL = f"{ISS}/jwks.json"
ENDPOINT = f"http://localhost/cds-services/{SERVICE_ID}"
TARGET_P95_MS = 500.0
#: Prefetch key -> resource type, from the engine's one read list.
_SEARCHES = {read.prefetch_key: read.resource_type for read in ENGINE_READS}


def _prefetch(resources: list[dict[str, Any]]) -> dict[str, Any]:
    prefetch: dict[str, Any] = {
        key: {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in resources if r["resourceType"] == kind],
        }
        for key, kind in _SEARCHES.items()
    }
    prefetch["patient"] = next(r for r in resources if r["resourceType"] == "Patient")
    return prefetch


def run(calls: int = 500) -> list[tuple[str, str]]:
    key = generate_signing_key("ES384", "bench")
    verifier = CdsClientVerifier(
        {ISS: JWKS_URL}, ReplayCache(None), fetcher=lambda _url: public_jwks([key])
    )
    app = create_app(
        Settings(
            app_launch_url="https://ms-monitor.example.org/launch",
            redis_url=None,
            public_url=ENDPOINT.removesuffix(f"/cds-services/{SERVICE_ID}"),
        ),
        cds_verifier=verifier,
        today=lambda: AS_OF,
    )
    client = app.test_client()
    members = cohort(as_of=AS_OF, patients=100)
    bodies = [
        {
            "hook": "patient-view",
            "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/1", "patientId": m.patient_id},
            "prefetch": _prefetch(m.resources),
        }
        for m in members
    ]
    timings: list[float] = []
    cards = 0
    for index in range(calls):
        now = int(time.time())
        claims = {"iss": ISS, "aud": ENDPOINT, "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}
        token = jwt.encode({"alg": "ES384", "kid": "bench"}, claims, key.key, algorithms=["ES384"])
        started = time.perf_counter()
        response = client.post(
            f"/cds-services/{SERVICE_ID}",
            json=bodies[index % len(bodies)],
            headers={"Authorization": f"Bearer {token}"},
        )
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"CDS call failed: {response.status_code} {response.get_data()!r}")
        cards += len(response.json["cards"]) if response.json else 0
    p95 = statistics.quantiles(timings, n=20)[-1]
    return [
        ("calls", str(calls)),
        ("p50 latency (ms)", f"{statistics.median(timings):.1f}"),
        (f"p95 latency (ms, target < {TARGET_P95_MS:.0f})", f"{p95:.1f}"),
        ("max latency (ms)", f"{max(timings):.1f}"),
        ("cards returned", str(cards)),
    ]


if __name__ == "__main__":
    print_table("CDS Hooks patient-view with prefetch (Flask test client)", run())
