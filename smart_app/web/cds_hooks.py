"""CDS Hooks `patient-view`: a card when MS monitoring is overdue or the disease is active.

https://cds-hooks.hl7.org/2.0/: discovery at ``/cds-services`` (with prefetch templates, so most
calls need no FHIR round trip), the CDS client authenticates with a signed JWT
(https://cds-hooks.hl7.org/2.0/#trusting-cds-clients): an allowlisted ``iss`` whose JWKS we fetch,
``aud`` = this endpoint's URL, a ``jti`` never seen before, a live ``exp``, and an asymmetric
algorithm (never ``none`` or HMAC). Without prefetch the service reads ``fhirServer`` with the
``fhirAuthorization`` token (or an open server without one).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import requests
from flask import Blueprint, Response, request
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from smart_app.domain import EvaluationContext, PatientReport, evaluate_patient
from smart_app.errors import AuthError, MsMonitorError
from smart_app.fhir import FhirClient
from smart_app.fhir.client import bundle_resources
from smart_app.fhir.patient_record import read_patient_record
from smart_app.settings import Settings

log = logging.getLogger(__name__)

SERVICE_ID = "ms-monitor-patient-view"
ASYMMETRIC_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS384"]
#: The engine's inputs, as CDS Hooks prefetch templates (same searches as a launch reads).
PREFETCH: dict[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}&_count=500",
    "observations": "Observation?patient={{context.patientId}}&_count=1000",
    "imaging": "ImagingStudy?patient={{context.patientId}}&_count=500",
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}&_count=500",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}&_count=500",
    "medicationAdministrations": (
        "MedicationAdministration?patient={{context.patientId}}&_count=1000"
    ),
    "diagnosticReports": "DiagnosticReport?patient={{context.patientId}}&_count=500",
}
SOURCE_LABEL = "ms-monitor (benign MS monitoring)"
SOURCE_URL = "https://www.nice.org.uk/guidance/ng220"

JwksFetcher = Callable[[str], dict[str, Any]]


class ReplayCache:
    """``jti`` values seen, until their token expires (Redis when configured, else memory)."""

    def __init__(self, redis_url: str | None) -> None:
        self._redis: Any = None
        if redis_url:
            from redis import Redis

            self._redis = Redis.from_url(redis_url)
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, iss: str, jti: str, expires_at: float) -> bool:
        ttl = max(1, int(expires_at - time.time()) + 1)
        key = f"ms-monitor:cds-jti:{iss}:{jti}"
        if self._redis is not None:
            return bool(self._redis.set(key, b"1", nx=True, ex=ttl))
        with self._lock:
            now = time.time()
            self._seen = {k: v for k, v in self._seen.items() if v > now}
            if key in self._seen:
                return False
            self._seen[key] = now + ttl
            return True


def fetch_jwks(url: str) -> dict[str, Any]:
    response = requests.get(url, timeout=10, headers={"Accept": "application/json"})
    response.raise_for_status()
    document: Any = response.json()
    if not isinstance(document, dict):
        raise AuthError(f"{url} is not a JWK Set")
    return document


class CdsClientVerifier:
    """Checks the CDS client's bearer JWT; JWK Sets are cached per URL for ``cache_seconds``."""

    def __init__(
        self,
        allowed: dict[str, str],
        replay: ReplayCache,
        *,
        fetcher: JwksFetcher = fetch_jwks,
        cache_seconds: float = 300.0,
    ) -> None:
        self._allowed = {iss.rstrip("/"): url for iss, url in allowed.items()}
        self._replay = replay
        self._fetcher = fetcher
        self._cache_seconds = cache_seconds
        self._keys: dict[str, tuple[float, KeySet]] = {}

    def verify(self, token: str, *, audience: str) -> dict[str, Any]:
        """The verified claims; raises AuthError saying which check failed."""
        try:
            unverified = jws.extract_compact(token.encode())  # only to choose the key
            header = unverified.protected
            claims_unverified = json.loads(unverified.payload)
        except (JoseError, ValueError) as exc:
            raise AuthError("the bearer token is not a JWT") from exc
        if not isinstance(claims_unverified, dict):
            raise AuthError("the JWT claims are not a JSON object")
        alg = str(header.get("alg", ""))
        if alg not in ASYMMETRIC_ALGORITHMS:
            raise AuthError(f"JWT algorithm {alg or 'none'} is not accepted")
        iss = str(claims_unverified.get("iss", "")).rstrip("/")
        jwks_url = self._allowed.get(iss)
        if jwks_url is None:
            raise AuthError("the JWT issuer is not allowlisted")
        jku = header.get("jku")
        if jku is not None and jku != jwks_url:
            raise AuthError("the JWT jku is not the issuer's registered JWKS URL")
        try:
            verified = jwt.decode(token, self._key_set(jwks_url), algorithms=[alg])
        except (JoseError, ValueError) as exc:
            raise AuthError(f"the JWT signature does not verify ({type(exc).__name__})") from exc
        claims = dict(verified.claims)
        self._check_claims(claims, audience=audience)
        return claims

    def _check_claims(self, claims: dict[str, Any], *, audience: str) -> None:
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if audience not in audiences:
            raise AuthError("the JWT aud is not this service's URL")
        exp, jti = claims.get("exp"), claims.get("jti")
        if not isinstance(exp, int | float) or exp <= time.time():
            raise AuthError("the JWT has expired or has no exp")
        if not isinstance(jti, str) or not jti:
            raise AuthError("the JWT has no jti")
        if not self._replay.first_use(str(claims.get("iss")), jti, float(exp)):
            raise AuthError("the JWT jti was already used (replay)")

    def _key_set(self, url: str) -> KeySet:
        cached = self._keys.get(url)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            keys = KeySet.import_key_set(self._fetcher(url))  # type: ignore[arg-type]
        except (requests.RequestException, ValueError, JoseError) as exc:
            raise AuthError(f"cannot load the issuer's JWKS ({type(exc).__name__})") from exc
        self._keys[url] = (time.monotonic() + self._cache_seconds, keys)
        return keys


class _BearerToken:
    """A TokenSource for the ``fhirAuthorization`` access token the CDS client handed us."""

    def __init__(self, access_token: str | None) -> None:
        self._value = f"Bearer {access_token}" if access_token else None

    def authorization(self) -> str | None:
        return self._value

    def refresh(self) -> bool:
        return False


def _json_error(status: int, message: str) -> Response:
    return Response(json.dumps({"error": message}), status=status, mimetype="application/json")


def prefetched_resources(prefetch: dict[str, Any]) -> list[dict[str, Any]] | None:
    """All engine inputs from prefetch, or None when any template was not filled."""
    if any(not isinstance(prefetch.get(key), dict) for key in PREFETCH):
        return None
    found: list[dict[str, Any]] = [prefetch["patient"]]
    for key in PREFETCH:
        if key != "patient":
            found.extend(bundle_resources(prefetch[key]))
    return found


def cards_for(
    report: PatientReport, *, launch_url: str | None, patient_id: str
) -> list[dict[str, Any]]:
    """A critical card for disease activity, a warning card for overdue monitoring."""
    cards = []
    if report.activity.active:
        kinds = sorted({f.kind for f in report.activity.findings})
        cards.append(
            _card(
                "MS disease activity in the last 12 months: review treatment",
                f"Activity found: {', '.join(kinds)}. "
                + "; ".join(r.rationale for r in report.recommendations if r.priority == "urgent"),
                "critical",
                launch_url,
                patient_id,
            )
        )
    overdue = [r for r in report.recommendations if r.overdue]
    if overdue:
        lines = "\n".join(f"- **{r.code}** due {r.due.isoformat()}: {r.rationale}" for r in overdue)
        cards.append(
            _card(
                f"{len(overdue)} MS monitoring item(s) overdue",
                lines,
                "warning",
                launch_url,
                patient_id,
            )
        )
    return cards


def _card(
    summary: str, detail: str, indicator: str, launch_url: str | None, patient_id: str
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "summary": summary[:140],
        "detail": detail,
        "indicator": indicator,
        "source": {"label": SOURCE_LABEL, "url": SOURCE_URL},
    }
    if launch_url:
        card["links"] = [
            {
                "label": "Open ms-monitor",
                "url": launch_url,
                "type": "smart",
                "appContext": patient_id,
            }
        ]
    return card


def cds_blueprint(
    settings: Settings,
    *,
    verifier: CdsClientVerifier | None = None,
    today: Callable[[], date] = date.today,
) -> Blueprint:
    blueprint = Blueprint("ms_monitor_cds", __name__)
    rules = EvaluationContext.build(today(), canonical_base=settings.canonical_base)
    check = verifier or CdsClientVerifier(
        settings.cds_allowed_issuers, ReplayCache(settings.redis_url)
    )

    @blueprint.get("/cds-services")
    def discovery() -> dict[str, Any]:
        service = {
            "hook": "patient-view",
            "id": SERVICE_ID,
            "title": "Benign MS monitoring",
            "description": "Overdue MS reviews and MRIs, and MS disease activity needing review.",
            "prefetch": PREFETCH,
        }
        return {"services": [service]}

    @blueprint.post(f"/cds-services/{SERVICE_ID}")
    def patient_view() -> Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return _json_error(401, "a Bearer JWT is required")
        try:
            check.verify(token.strip(), audience=request.base_url)
        except AuthError as exc:
            return _json_error(401, str(exc))
        body: Any = request.get_json(silent=True)
        if not isinstance(body, dict) or body.get("hook") != "patient-view":
            return _json_error(400, "expected a patient-view hook request")
        context = body.get("context") or {}
        patient_id = context.get("patientId") if isinstance(context, dict) else None
        if not isinstance(patient_id, str) or not patient_id:
            return _json_error(400, "context.patientId is required")
        prefetch = body.get("prefetch")
        resources = prefetched_resources(prefetch) if isinstance(prefetch, dict) else None
        if resources is None:
            server = body.get("fhirServer")
            if not isinstance(server, str) or not server.startswith(("https://", "http://")):
                return _json_error(412, "prefetch incomplete and no fhirServer to read from")
            auth = body.get("fhirAuthorization") or {}
            token_value = auth.get("access_token") if isinstance(auth, dict) else None
            client = FhirClient(
                server,
                token_source=_BearerToken(token_value if isinstance(token_value, str) else None),
                timeout_seconds=min(settings.http_timeout_seconds, 10.0),
                retries=0,
            )
            try:
                record = read_patient_record(
                    client, patient_id, canonical_base=rules.canonical_base
                )
            except MsMonitorError as exc:
                log.warning("CDS read of the FHIR server failed: %s", exc)
                return _json_error(502, "the FHIR server could not be read")
            resources = list(record.resources)
        report = evaluate_patient(resources, rules.on(today()))
        cards = cards_for(report, launch_url=settings.app_launch_url, patient_id=patient_id)
        return Response(json.dumps({"cards": cards}), status=200, mimetype="application/json")

    return blueprint
