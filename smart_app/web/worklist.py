"""The clinic's worklist (``/worklist``), its CSV export, and opening a patient from it.

Only for a signed-in clinician: a SMART standalone provider launch (smart_app.web.worklist_session)
bound to this browser session. An anonymous request to ``/worklist`` goes to the sign-in, to
``/worklist.csv`` gets a 401; a grant with only ``patient/`` scopes is refused. Opening a row
(a POST with the CSRF token, from our own origin) makes a new launch of that patient, with the
same server and grant, and shows the existing dashboard; only a patient on this clinician's
worklist can be opened so.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from smart_app.auth.scopes import worklist_allowed
from smart_app.auth.tokens import WORKLIST_PURPOSE
from smart_app.errors import AuthError, FhirAuthError
from smart_app.fhir.ids import FHIR_ID
from smart_app.service.connection import plan_store_client
from smart_app.service.patient_plan import plan_systems
from smart_app.service.worklist import Worklist, load_worklist
from smart_app.web.launch import _authorize, _registration_of, _unknown_issuer
from smart_app.web.launches import LaunchRecord, add_launch, new_launch_id
from smart_app.web.pages import error_page
from smart_app.web.runtime import WebRuntime, runtime
from smart_app.web.security import same_origin_post
from smart_app.web.worklist_rows import (
    FILTERS,
    apply_filters,
    parse_filters,
    worklist_csv,
    worklist_rows,
)
from smart_app.web.worklist_session import patient_level_refusal

log = logging.getLogger(__name__)
bp = Blueprint("worklist", __name__)

#: The patient ids of a worklist sign-in's last worklist: the rows it may open.
_SHOWN_PREFIX = "worklist-patients:"


def _record() -> LaunchRecord | None:
    return runtime().launches.worklist(session)


def _load(rt: WebRuntime, record: LaunchRecord) -> Worklist:
    site = rt.site(record.context.iss)
    context = rt.evaluation_context(site)
    worklist = load_worklist(
        rt.fhir_client(record),
        plan_store_client(rt.settings),
        systems=plan_systems(context),
        careplan_category=site.careplan_category,
        today=context.as_of,
    )
    shown = json.dumps([p.patient_id for p in worklist.plans]).encode()
    rt.store.put(_SHOWN_PREFIX + record.launch_id, shown, rt.settings.session_ttl_seconds)
    return worklist


@bp.get("/worklist/sign-in")
def sign_in() -> Any:
    """A standalone provider launch against ``?iss=`` (else the default standalone server)."""
    iss = request.args.get("iss", "").strip()
    registration = _registration_of(iss) if iss else runtime().registry.default_standalone()
    if registration is None:
        if iss:
            return _unknown_issuer()
        return error_page(
            "No FHIR server configured",
            "No registration is marked for standalone launch; open the worklist with ?iss= "
            "naming your EHR's FHIR server.",
            400,
        )
    if registration.is_open:
        return error_page(
            "Worklist not available",
            "This FHIR server has no SMART sign-in, so there is no clinician to show the "
            "clinic's worklist to.",
            400,
        )
    return _authorize(registration, launch=None, purpose=WORKLIST_PURPOSE)


@bp.get("/worklist")
def show() -> Any:
    rt = runtime()
    record = _record()
    iss = request.args.get("iss", "").strip()
    if record is None or (iss and iss.rstrip("/") != record.context.iss.rstrip("/")):
        # not signed in, or signed in to another server than the one asked for
        target = url_for("worklist.sign_in", iss=iss) if iss else url_for("worklist.sign_in")
        return redirect(target, code=302)
    if not worklist_allowed(record.context.granted_scopes):
        return patient_level_refusal()
    filters = parse_filters(request.args.getlist("filter"))
    try:
        worklist = _load(rt, record)
    except (AuthError, FhirAuthError):
        return redirect(url_for("worklist.sign_in", iss=record.context.iss), code=302)
    rows = worklist_rows(worklist.plans, worklist.today)
    shown = apply_filters(rows, filters)
    response = make_response(
        render_template(
            "worklist.html",
            today=worklist.today,
            rows=shown,
            total=len(rows),
            filters=FILTERS,
            active_filters=filters,
            notices=worklist.notices,
            iss=record.context.iss,
            fhir_user=record.context.fhir_user,
            plan_store=bool(rt.settings.plan_store_url),
        )
    )
    # same-origin so that the rows' POSTs carry our Origin (see security.py)
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.get("/worklist.csv")
def export() -> Any:
    """The worklist as CSV, with the page's filters (an attachment; formula-safe cells)."""
    rt = runtime()
    record = _record()
    if record is None:
        return Response("Sign in to the worklist first.\n", status=401, mimetype="text/plain")
    if not worklist_allowed(record.context.granted_scopes):
        return patient_level_refusal()
    try:
        worklist = _load(rt, record)
    except (AuthError, FhirAuthError):
        return Response("The sign-in has ended.\n", status=401, mimetype="text/plain")
    rows = apply_filters(
        worklist_rows(worklist.plans, worklist.today),
        parse_filters(request.args.getlist("filter")),
    )
    response = Response(worklist_csv(rows), mimetype="text/csv")
    filename = f"ms-monitor-worklist-{worklist.today.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/worklist/open/<patient_id>")
def open_patient(patient_id: str) -> Any:
    """That patient's dashboard: a new launch with the worklist's server and grant."""
    rt = runtime()
    record = _record()
    if record is None:
        abort(401)
    if not same_origin_post(request):
        log.warning("worklist open refused: cross-origin POST")
        return error_page("Refused", "The request did not come from this app's page.", 403)
    if not FHIR_ID.fullmatch(patient_id):
        return error_page("Invalid patient id", "A FHIR id is 1-64 letters, digits, - or .", 400)
    if not worklist_allowed(record.context.granted_scopes):
        return patient_level_refusal()
    if patient_id not in _shown(rt, record):
        log.warning("worklist open refused: patient not on this worklist")
        abort(404)
    launch_id = new_launch_id()
    context = replace(record.context, patient=patient_id, need_patient_banner=True)
    rt.launches.save(
        LaunchRecord(launch_id, context, open_server=False, tokens_of=record.launch_id)
    )
    add_launch(session, launch_id)
    log.info("patient opened from the worklist: launch=%s", launch_id)
    return redirect(url_for("dashboard.show", launch_id=launch_id), code=303)


def _shown(rt: WebRuntime, record: LaunchRecord) -> set[str]:
    """The patients of this sign-in's worklist (read again when not remembered)."""
    raw = rt.store.get(_SHOWN_PREFIX + record.launch_id)
    if raw is None:
        try:
            return {p.patient_id for p in _load(rt, record).plans}
        except (AuthError, FhirAuthError):
            return set()
    ids = json.loads(raw)
    return {str(i) for i in ids} if isinstance(ids, list) else set()
