"""The sandbox FHIR endpoint: ``/fhir/*`` forwarded to the upstream HAPI server.

Checks the bearer token (unknown or expired: 401 with ``WWW-Authenticate``, RFC 6750), the
scopes and the patient compartment (:mod:`launch.sandbox.access`), and rewrites the upstream
base in responses (``Bundle.link``, ``fullUrl``, ``Location``) to the sandbox FHIR base so that
paging stays on the sandbox.
"""

from __future__ import annotations

import json
import time
from typing import Any

import requests
from flask import Blueprint, Response, request

from launch.sandbox.access import Grant, Refused, check_request, filter_response, outcome
from launch.sandbox.config import SandboxConfig
from launch.sandbox.ehr import EhrProfile
from launch.sandbox.ehr.capability import capability_statement
from launch.sandbox.ehr.emulator import Emulator
from launch.sandbox.ehr.paging import PageStore
from launch.sandbox.ehr.profile import Refusal
from launch.sandbox.ehr.render import FHIR_XML, refusal_response, to_xml
from launch.sandbox.scopes import split_scopes
from launch.sandbox.state import SandboxState

FHIR_JSON = "application/fhir+json"
FORWARDED_HEADERS = ("If-Match", "If-None-Match", "If-Modified-Since", "Prefer")
RETURNED_HEADERS = ("ETag", "Last-Modified", "Location", "Content-Location")
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def create_proxy_blueprint(config: SandboxConfig, state: SandboxState) -> Blueprint:
    bp = Blueprint("sandbox_fhir", __name__)
    session = requests.Session()

    def upstream(method: str, path: str, **kwargs: Any) -> requests.Response:
        url = f"{config.upstream}/{path}" if path else config.upstream
        return session.request(method, url, timeout=config.upstream_timeout_seconds, **kwargs)

    def fetch_existing(rtype: str, rid: str) -> dict[str, Any] | None:
        found = upstream("GET", f"{rtype}/{rid}", headers={"Accept": FHIR_JSON})
        if found.status_code != 200:
            return None
        data = found.json()
        return data if isinstance(data, dict) else None

    pages = PageStore(state.clock)
    emulators: dict[str, Emulator] = {}

    def emulator(profile: EhrProfile) -> Emulator:
        if profile.name not in emulators:
            emulators[profile.name] = Emulator(
                profile,
                upstream,
                upstream_base=config.upstream,
                fhir_base=config.fhir_base,
                pages=pages,
                foreign_writes=state.foreign_writes,
            )
        return emulators[profile.name]

    @bp.route("/fhir", defaults={"path": ""}, methods=METHODS)
    @bp.route("/fhir/<path:path>", methods=METHODS)
    def fhir(path: str) -> Response:
        window = state.rate_limit
        wait = window.admit() if window is not None else None
        if wait is not None:
            return _fhir_error(
                429,
                f"rate limit of {window.per_minute if window else 0} requests per minute reached",
                code="throttled",
                headers={"Retry-After": str(wait)},
            )
        profile = state.profile()
        try:
            if profile.passthrough:
                answer = forward(path)
            else:
                answer = _as_vendor_format(profile, emulated(profile, path))
        except requests.RequestException as exc:
            return _fhir_error(502, f"upstream FHIR server failed: {exc}", code="transient")
        _stall_after_write(state, path, answer)
        return answer

    def emulated(profile: EhrProfile, path: str) -> Response:
        """The request as ``profile``'s EHR answers it (token and scope checks first)."""
        if path == "metadata" and request.method == "GET":
            statement = capability_statement(
                profile, fhir_base=config.fhir_base, issuer=config.issuer, date="2026-11-01"
            )
            return Response(json.dumps(statement), content_type=FHIR_JSON)
        grant = _grant(state)
        if grant is None:
            return _fhir_error(
                401,
                "a valid bearer token is required",
                code="login",
                headers={"WWW-Authenticate": 'Bearer realm="sandbox", error="invalid_token"'},
            )
        if path.strip("/") == "" and request.method == "POST" and profile.batch_refusal:
            return refusal_response(profile.batch_refusal)
        try:
            checked = check_request(
                grant,
                request.method,
                path,
                list(request.args.items(multi=True)),
                _json_body(),
                fetch_existing=fetch_existing,
            )
        except Refused as refused:
            if refused.status == 403 and profile.scope_refusal == "json":
                kind = Refusal(403, "json", str(refused), code="insufficient_scope")
                return refusal_response(kind)
            return _fhir_error(refused.status, str(refused))
        sent = {h: request.headers[h] for h in FORWARDED_HEADERS if h in request.headers}
        return emulator(profile).handle(
            grant, request.method, checked.path, checked.query, checked.body, sent
        )

    def forward(path: str) -> Response:
        if path == "metadata" and request.method == "GET":
            return _relay(config, upstream("GET", "metadata", headers={"Accept": FHIR_JSON}), None)
        grant = _grant(state)
        if grant is None:
            return _fhir_error(
                401,
                "a valid bearer token is required",
                code="login",
                headers={"WWW-Authenticate": 'Bearer realm="sandbox", error="invalid_token"'},
            )
        body = _json_body()
        if config.refuse_batch and not path and _is_batch(body):
            return _fhir_error(405, "this server does not support batch", code="not-supported")
        try:
            checked = check_request(
                grant,
                request.method,
                path,
                list(request.args.items(multi=True)),
                body,
                fetch_existing=fetch_existing,
                if_none_exist=request.headers.get("If-None-Exist"),
            )
        except Refused as refused:
            return _fhir_error(refused.status, str(refused))
        headers = {"Accept": FHIR_JSON}
        headers.update({h: request.headers[h] for h in FORWARDED_HEADERS if h in request.headers})
        if checked.if_none_exist:
            headers["If-None-Exist"] = checked.if_none_exist
        data = None
        if checked.body is not None:
            data = json.dumps(checked.body)
            headers["Content-Type"] = FHIR_JSON
        elif request.method in ("PATCH", "POST", "PUT") and request.data:
            data = request.get_data(as_text=True)
            headers["Content-Type"] = request.content_type or FHIR_JSON
        answer = upstream(
            request.method, checked.path, params=checked.query, data=data, headers=headers
        )
        return _relay(config, answer, grant)

    return bp


def _stall_after_write(state: SandboxState, path: str, answer: Response) -> None:
    """Error injection: hold a committed create's answer (``SandboxState.stall_after_write``)."""
    rtype = path.strip("/").split("/", 1)[0]
    if request.method != "POST" or answer.status_code != 201:
        return
    with state.lock:
        left = state.stall_after_write.get(rtype, 0)
        if left <= 0:
            return
        state.stall_after_write[rtype] = left - 1
    time.sleep(state.stall_seconds)


def _as_vendor_format(profile: EhrProfile, answer: Response) -> Response:
    """FHIR XML for a client that did not ask for JSON, where the vendor does that (Epic)."""
    accept = request.headers.get("Accept", "") + request.args.get("_format", "")
    if not profile.xml_without_accept or "json" in accept:
        return answer
    if "json" not in (answer.content_type or "") or not answer.get_data():
        return answer
    document = json.loads(answer.get_data(as_text=True))
    headers = {k: v for k, v in answer.headers.items() if k in RETURNED_HEADERS}
    return Response(
        to_xml(document), status=answer.status_code, headers=headers, content_type=FHIR_XML
    )


def _grant(state: SandboxState) -> Grant | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value:
        return None
    token = state.access(value.strip())
    if token is None or token.is_expired(state.clock()):
        return None
    patient = token.context.patient if token.context else None
    return Grant(scopes=frozenset(split_scopes(token.scope)), patient=patient)


def _is_batch(body: Any) -> bool:
    return isinstance(body, dict) and body.get("type") == "batch"


def _json_body() -> Any:
    if request.method not in ("POST", "PUT") or not request.data:
        return None
    if "json" not in (request.content_type or ""):
        return None
    try:
        return json.loads(request.get_data(as_text=True))
    except ValueError:
        return None


def _relay(config: SandboxConfig, answer: requests.Response, grant: Grant | None) -> Response:
    """The upstream answer, filtered for the token and with sandbox URLs."""
    headers = {
        h: answer.headers[h].replace(config.upstream, config.fhir_base)
        for h in RETURNED_HEADERS
        if h in answer.headers
    }
    content_type = answer.headers.get("Content-Type", FHIR_JSON)
    if "json" not in content_type or not answer.content:
        return Response(
            answer.content, status=answer.status_code, headers=headers, content_type=content_type
        )
    document = rewrite_urls(answer.json(), config.upstream, config.fhir_base)
    if grant is not None:
        try:
            document = filter_response(grant, document)
        except Refused as refused:
            return _fhir_error(refused.status, str(refused))
    return Response(
        json.dumps(document), status=answer.status_code, headers=headers, content_type=FHIR_JSON
    )


def rewrite_urls(value: Any, upstream: str, sandbox: str) -> Any:
    """Every string that starts with the upstream base, moved to the sandbox base."""
    if isinstance(value, str):
        return sandbox + value[len(upstream) :] if value.startswith(upstream) else value
    if isinstance(value, list):
        return [rewrite_urls(item, upstream, sandbox) for item in value]
    if isinstance(value, dict):
        return {key: rewrite_urls(item, upstream, sandbox) for key, item in value.items()}
    return value


def _fhir_error(
    status: int, message: str, *, code: str = "forbidden", headers: dict[str, str] | None = None
) -> Response:
    if status == 400:
        code = "not-supported"
    return Response(
        json.dumps(outcome(message, code)),
        status=status,
        headers=headers or {},
        content_type=FHIR_JSON,
    )
