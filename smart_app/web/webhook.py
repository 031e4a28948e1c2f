"""The FHIR Subscription webhook: authenticate, find the patient, queue one job, answer 202.

HAPI's R4 rest-hook delivery with a payload PUTs the changed resource to
``{endpoint}/{Type}/{id}`` (https://hl7.org/fhir/R4/subscription.html#2.46.7.1), so every path
under ``/hooks/fhir/`` is accepted, by POST or PUT. The shared secret comes back in the
``Authorization: Bearer`` header we registered and is compared in constant time. Nothing slow
happens here: the plan is written by a queue worker (smart_app.jobs.queue), through the
application service like every other path.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from flask import Blueprint, Response, request
from redis.exceptions import RedisError

from smart_app.domain.references import patient_of
from smart_app.fhir.ids import is_fhir_id
from smart_app.service.updates import enqueue_patient_update
from smart_app.web.hardening import large_body_limit
from smart_app.web.runtime import runtime

log = logging.getLogger(__name__)

bp = Blueprint("ms_monitor_webhook", __name__)
bp.before_request(large_body_limit)  # notifications may carry whole resources


def _outcome(status: int, text: str, code: str) -> Response:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }
    response = Response(json.dumps(body), status=status, mimetype="application/fhir+json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="ms-monitor-webhook"'
    return response


def _authorised(secret: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value:
        value = request.headers.get("X-Webhook-Secret", "")
    return bool(value) and hmac.compare_digest(value.strip().encode(), secret.encode())


@bp.route("/hooks/fhir", methods=["POST", "PUT"], defaults={"rest": ""})
@bp.route("/hooks/fhir/<path:rest>", methods=["POST", "PUT"])
def receive(rest: str) -> Response:
    rt = runtime()
    secret, fhir_base = rt.settings.webhook_secret, rt.settings.fhir_base_url
    if not secret or not fhir_base:
        return _outcome(503, "the webhook is not configured", "exception")
    if not _authorised(secret):
        return _outcome(401, "missing or wrong webhook secret", "login")
    try:
        resource: Any = json.loads(request.get_data(cache=False) or b"null")
    except ValueError:
        return _outcome(400, "the body is not JSON", "invalid")
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        return _outcome(400, "the body is not a FHIR resource", "invalid")
    patient_id = patient_of(resource)
    if patient_id is None:
        return _outcome(422, "the resource names no patient", "invalid")
    if not is_fhir_id(patient_id):  # before it reaches a Redis key or a search URL
        return _outcome(422, "the patient reference is not a FHIR id", "invalid")
    try:
        queued = enqueue_patient_update(rt.patient_queue(), fhir_base, patient_id)
    except RedisError as exc:
        log.error("cannot queue an update: %s", exc)
        return _outcome(503, "the job queue is unavailable; retry later", "transient")
    body = {"patient": patient_id, "job": queued.job_id, "coalesced": queued.coalesced}
    return Response(json.dumps(body), status=202, mimetype="application/json")
