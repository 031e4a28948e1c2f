"""CDS Hooks `patient-view`: a card when MS monitoring is overdue or the disease is active.

https://cds-hooks.hl7.org/2.0/: discovery at ``/cds-services`` (with prefetch templates, so most
calls need no FHIR round trip), the CDS client authenticates with a signed JWT
(https://cds-hooks.hl7.org/2.0/#trusting-cds-clients): an allowlisted ``iss`` whose JWKS we fetch,
``aud`` = this endpoint's public URL (``MS_MONITOR_PUBLIC_URL``, never the request's Host), a
``jti`` never seen before, ``iat``/``nbf``/``exp`` at most 5 minutes apart, and an asymmetric
algorithm (never ``none`` or HMAC). Without prefetch the service reads ``fhirServer`` with the
``fhirAuthorization`` token only when that server is a FHIR base registered for the client
(smart_app.auth.cds_clients), through the application service (smart_app.service.cds); anything
else gets 412 and no request.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from flask import Blueprint, Response, request

from smart_app.auth.cds_client import CdsClientVerifier, ReplayCache  # re-exported
from smart_app.auth.cds_clients import service_audience
from smart_app.domain import PatientReport
from smart_app.errors import AuthError, MsMonitorError
from smart_app.fhir import FhirClient
from smart_app.fhir.ids import is_fhir_id
from smart_app.service.cds import (
    PREFETCH,
    prefetched_resources,
    report_from_resources,
    report_from_server,
)
from smart_app.web.hardening import large_body_limit
from smart_app.web.runtime import runtime

log = logging.getLogger(__name__)

SERVICE_ID = "ms-monitor-patient-view"
SOURCE_LABEL = "ms-monitor (benign MS monitoring)"
SOURCE_URL = "https://www.nice.org.uk/guidance/ng220"

__all__ = ["SERVICE_ID", "CdsClientVerifier", "ReplayCache", "bp", "cards_for"]

bp = Blueprint("ms_monitor_cds", __name__)
bp.before_request(large_body_limit)  # a realistic prefetch: hundreds of resources


def _granted(authorization: object) -> frozenset[str] | None:
    """The scopes ``fhirAuthorization`` says the token carries (None: not told)."""
    scope = authorization.get("scope") if isinstance(authorization, dict) else None
    return frozenset(scope.split()) if isinstance(scope, str) and scope.strip() else None


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


@bp.get("/cds-services")
def discovery() -> dict[str, Any]:
    service = {
        "hook": "patient-view",
        "id": SERVICE_ID,
        "title": "Benign MS monitoring",
        "description": "Overdue MS reviews and MRIs, and MS disease activity needing review.",
        "prefetch": PREFETCH,
    }
    return {"services": [service]}


@bp.post(f"/cds-services/{SERVICE_ID}")
def patient_view() -> Response:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return _json_error(401, "a Bearer JWT is required")
    rt = runtime()
    settings = rt.settings
    audience = service_audience(settings, request.path)  # never from the request's Host
    if audience is None:
        return _json_error(503, "the service's public URL (MS_MONITOR_PUBLIC_URL) is not set")
    try:
        claims = rt.cds_verifier.verify(token.strip(), audience=audience)
    except AuthError as exc:
        return _json_error(401, str(exc))
    body: Any = request.get_json(silent=True)
    if not isinstance(body, dict) or body.get("hook") != "patient-view":
        return _json_error(400, "expected a patient-view hook request")
    context = body.get("context") or {}
    patient_id = context.get("patientId") if isinstance(context, dict) else None
    if not isinstance(patient_id, str) or not patient_id:
        return _json_error(400, "context.patientId is required")
    if not is_fhir_id(patient_id):  # before any read or search URL
        return _json_error(422, "context.patientId is not a FHIR id")
    server = body.get("fhirServer")
    site = rt.site(server) if isinstance(server, str) else None
    context = rt.evaluation_context(site)
    prefetch = body.get("prefetch")
    resources = prefetched_resources(prefetch) if isinstance(prefetch, dict) else None
    if resources is not None:
        report = report_from_resources(resources, context)
    else:
        if not isinstance(server, str) or not server.startswith(("https://", "http://")):
            return _json_error(412, "prefetch incomplete and no fhirServer to read from")
        if not rt.cds_clients.allows_fhir_server(claims.get("iss"), server):  # no SSRF
            return _json_error(412, "fhirServer is not a FHIR base registered for this client")
        auth = body.get("fhirAuthorization") or {}
        token_value = auth.get("access_token") if isinstance(auth, dict) else None
        client = FhirClient(
            server,
            token_source=_BearerToken(token_value if isinstance(token_value, str) else None),
            timeout_seconds=min(settings.http_timeout_seconds, 10.0),
            retries=0,
        )
        try:
            report = report_from_server(
                client,
                patient_id,
                context,
                site=site,
                granted=_granted(auth),
                profiles=rt.profiles,
            )
        except MsMonitorError as exc:
            log.warning("CDS read of the FHIR server failed: %s", exc)
            return _json_error(502, "the FHIR server could not be read")
    cards = cards_for(report, launch_url=settings.app_launch_url, patient_id=patient_id)
    return Response(json.dumps({"cards": cards}), status=200, mimetype="application/json")
