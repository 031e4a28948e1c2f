"""Launch routes: EHR launch, standalone launch, open-server launch, and the OAuth callback.

https://hl7.org/fhir/smart-app-launch/app-launch.html. The ``iss`` is checked against the
allowlist before anything else (nothing is sent to an unregistered server). The pending launch is
kept server-side under its ``state`` (popped once: a replayed callback finds nothing) and the state
is also listed in the browser's server-side session (a state issued to another browser session is
refused). After the token exchange the session gets a new id, the launch a new ``launch_id``, and
the browser goes to ``/app/<launch_id>``: the only redirects are to the authorization endpoint the
SMART client built from the server's discovery document, and to our own pages.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from smart_app.auth.registry import ClientRegistration
from smart_app.auth.token_source import pop_pending, save_pending, save_tokens
from smart_app.auth.tokens import (
    PATIENT_PURPOSE,
    WORKLIST_PURPOSE,
    LaunchContext,
    open_server_context,
)
from smart_app.errors import AuthError, ConfigurationError, FhirError, UnknownIssuerError
from smart_app.fhir import FhirClient
from smart_app.fhir.ids import FHIR_ID
from smart_app.service.worklist import patient_name as human_name
from smart_app.web.launches import LaunchRecord, add_launch, new_launch_id
from smart_app.web.mixup import mixup_refusal
from smart_app.web.pages import error_page
from smart_app.web.runtime import runtime
from smart_app.web.sessions import rotate_session
from smart_app.web.worklist_session import worklist_signed_in

log = logging.getLogger(__name__)
bp = Blueprint("launch", __name__)

PENDING_STATES = "pending_states"
MAX_PENDING = 10


@bp.get("/launch")
def launch() -> Any:
    """EHR launch (``iss`` + ``launch``), standalone (``iss`` only), or open server."""
    iss = request.args.get("iss", "").strip()
    launch_id = request.args.get("launch")
    if not iss:
        if launch_id:
            return error_page(
                "Launch refused", "An EHR launch must name its FHIR server (iss).", 400
            )
        return standalone()
    registration = _registration_of(iss)
    if registration is None:
        return _unknown_issuer()
    if registration.is_open:
        return _open_server_launch(registration)
    return _authorize(registration, launch=launch_id or None)


def _registration_of(iss: str) -> ClientRegistration | None:
    """The allowlisted registration of ``iss``; None (nothing contacted) when it is unknown."""
    try:
        return runtime().registry.get(iss)
    except UnknownIssuerError:
        log.warning("launch refused: iss is not on the allowlist")
        return None


def _unknown_issuer() -> Any:
    return error_page(
        "Unknown FHIR server",
        "This FHIR server is not registered with ms-monitor, so the app will not contact it. "
        "Ask your administrator to register it.",
        400,
    )


@bp.get("/standalone")
def standalone() -> Any:
    """Standalone launch (``launch/patient``): against the registration of ``?iss=`` when given
    (the URL the README asks EHR admins to register), else the one marked standalone."""
    iss = request.args.get("iss", "").strip()
    if iss:
        named = _registration_of(iss)
        if named is None:
            return _unknown_issuer()
        return _open_server_launch(named) if named.is_open else _authorize(named, launch=None)
    registration = runtime().registry.default_standalone()
    if registration is None:
        return error_page(
            "No FHIR server configured",
            "No registration is marked for standalone launch; launch from your EHR instead.",
            400,
        )
    if registration.is_open:
        return _open_server_launch(registration)
    return _authorize(registration, launch=None)


def _authorize(
    registration: ClientRegistration,
    *,
    launch: str | None,
    resume: str | None = None,
    purpose: str = PATIENT_PURPOSE,
) -> Any:
    rt = runtime()
    try:
        pending = rt.smart_client(registration).begin(launch=launch, purpose=purpose)
    except (AuthError, ConfigurationError) as exc:
        return error_page("Cannot start the launch", str(exc), 502)
    if resume is not None:
        pending = replace(pending, resume_launch=resume)
    save_pending(rt.store, pending)
    states = [s for s in session.get(PENDING_STATES, []) if isinstance(s, str)]
    session[PENDING_STATES] = [*states, pending.state][-MAX_PENDING:]
    # the only external redirect: the authorize endpoint from the server's own discovery
    return redirect(pending.authorize_url, code=302)


@bp.get("/callback")
@bp.get("/callback/<registration_name>")  # one redirect URI per registration (mix-up defence)
def callback(registration_name: str | None = None) -> Any:
    """The redirect back from the authorization server: check state, exchange, start the app."""
    rt = runtime()
    state = request.args.get("state", "")
    pending = pop_pending(rt.store, state) if state else None
    states = [s for s in session.get(PENDING_STATES, []) if isinstance(s, str)]
    if pending is None:
        return error_page(
            "Launch expired",
            "This sign-in response does not match a launch in progress (it was already used or "
            "has expired). Launch the app again from your EHR.",
            400,
        )
    if state not in states:
        log.warning("callback refused: state issued to another browser session")
        return error_page(
            "Launch refused",
            "This sign-in response belongs to another browser session. Launch the app again.",
            400,
        )
    session[PENDING_STATES] = [s for s in states if s != state]
    if (refused := mixup_refusal(pending)) is not None:  # RFC 9700 4.4: its own redirect URI
        return refused
    try:
        registration = rt.registry.get(pending.iss)
        tokens = rt.smart_client(registration).complete(pending, callback_args=request.args)
    except AuthError as exc:
        return error_page("Sign-in failed", str(exc), 400)
    context = tokens.context
    if pending.purpose == WORKLIST_PURPOSE:  # a provider sign-in: no patient, by design
        return worklist_signed_in(tokens)
    if not context.patient or not FHIR_ID.fullmatch(context.patient):
        return error_page(
            "No patient in context",
            "The EHR did not say which patient this launch is for (no patient in the token "
            "response); launch the app from a patient's chart.",
            400,
        )
    resumed = _resumed(pending.resume_launch, context)
    if resumed is not None:  # signed in again: the same launch, the same patient, new tokens
        save_tokens(rt.store, resumed.launch_id, tokens, rt.settings.session_ttl_seconds)
        rt.launches.update(resumed, context=context, tokens_of=None)  # its own tokens now
        rotate_session(session)
        log.info(
            "launch re-authorised: launch=%s server=%s", resumed.launch_id, resumed.context.iss
        )
        return redirect(url_for("dashboard.show", launch_id=resumed.launch_id), code=303)
    launch_id = new_launch_id()
    save_tokens(rt.store, launch_id, tokens, rt.settings.session_ttl_seconds)
    rt.launches.save(LaunchRecord(launch_id, context, open_server=False))
    add_launch(session, launch_id)
    rotate_session(session)  # new session id after login (session fixation)
    log.info("launch completed: launch=%s server=%s", launch_id, registration.iss)
    return redirect(url_for("dashboard.show", launch_id=launch_id), code=303)


def reauthorise(record: LaunchRecord, *, pending_write: bool) -> Any:
    """The session of ``record`` cannot be refreshed: sign in again and come back to it.

    A standalone authorization (``launch/patient``: the EHR's own launch token is single use)
    that remembers the launch; the callback returns to the same dashboard only when the EHR
    grants the same patient on the same server (else it is a new launch), so nothing is lost
    and patients are never mixed. A write that was pressed stays offered on the page. A patient
    opened from the worklist signs in to the worklist again (the grant it used), and the
    clinician opens the patient from there.
    """
    rt = runtime()
    registration = rt.registry.get(record.context.iss)
    log.info("session ended, re-authorising: launch=%s", record.launch_id)
    if record.tokens_of is not None:
        response = _authorize(registration, launch=None, purpose=WORKLIST_PURPOSE)
    else:
        if pending_write:
            rt.launches.update(record, write_pending=True)
        response = _authorize(registration, launch=None, resume=record.launch_id)
    if request.method != "POST" or response.status_code != 302:
        return response
    # A form POST (the write) may not be redirected to another origin: the page's CSP says
    # ``form-action 'self'`` and browsers apply it to the redirects of the form's navigation
    # (https://www.w3.org/TR/CSP3/#directive-form-action). Continue from a page of our own.
    return render_template("reauthorise.html", authorize_url=response.location)


def _resumed(resume: str | None, context: LaunchContext) -> LaunchRecord | None:
    """The launch to return to after a re-authorisation, if the grant matches it."""
    if not resume:
        return None
    record = runtime().launches.get(resume, session)
    if record is None or record.open_server:
        return None
    if record.context.iss != context.iss or record.context.patient != context.patient:
        log.warning("re-authorisation for another patient or server: a new launch")
        return None
    return record


def _open_server_launch(registration: ClientRegistration) -> Any:
    """No OAuth: the patient comes from ``patient=`` or from the picker form."""
    patient = request.args.get("patient", "").strip()
    if not patient:
        return _patient_picker(registration)
    if not FHIR_ID.fullmatch(patient):
        return error_page("Invalid patient id", "A FHIR id is 1-64 letters, digits, - or .", 400)
    rt = runtime()
    launch_id = new_launch_id()
    rt.launches.save(
        LaunchRecord(launch_id, open_server_context(registration.iss, patient), open_server=True)
    )
    add_launch(session, launch_id)
    return redirect(url_for("dashboard.show", launch_id=launch_id), code=303)


def _patient_picker(registration: ClientRegistration) -> Any:
    rt = runtime()
    client = FhirClient(
        registration.iss, timeout_seconds=rt.settings.http_timeout_seconds, retries=1
    )
    patients: list[dict[str, str]] = []
    problem = None
    try:
        page = next(client.search_pages("Patient", {"_count": "20", "_sort": "-_lastUpdated"}))
        for entry in page.get("entry") or []:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(resource, dict) and isinstance(resource.get("id"), str):
                patients.append(
                    {
                        "id": resource["id"],
                        "name": patient_name(resource),
                        "birth_date": str(resource.get("birthDate", "")),
                    }
                )
    except FhirError as exc:
        problem = str(exc)
    response = render_template(
        "picker.html", iss=registration.iss, patients=patients, problem=problem
    )
    return Response(response, mimetype="text/html")


def patient_name(patient: dict[str, Any]) -> str:
    """The first usable HumanName as "Family, Given" (smart_app.service.worklist.patient_name)."""
    return human_name(patient) or "(no name)"
