"""The dashboard of one launch, the plan download, and "Write plan to the EHR".

``/app/<launch_id>`` exists only for the browser session that launched it (else 404). The write is
a POST protected by a CSRF token (Flask-WTF) and an Origin/Referer check, follows
post/redirect/get, and degrades to read-only when the server refuses it (403, 404, 405, 422;
product.md, mode 5). With a plan store the page shows where the plan goes before the write and
what landed where after it (smart_app.service.plan_targets).
"""

from __future__ import annotations

import json
import logging
from functools import partial
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

from smart_app.auth.scopes import can_write
from smart_app.errors import AuthError, FhirAuthError, FhirError
from smart_app.fhir import FhirClient
from smart_app.service.launch import (
    PLAN_RESOURCES,
    Dashboard,
    landed_in_ehr,
    load_dashboard,
    write_dashboard_plan,
    write_dashboard_targets,
)
from smart_app.service.plan_delivery import Delivery
from smart_app.web.evidence import evidence_link
from smart_app.web.launch import reauthorise
from smart_app.web.launches import LaunchRecord
from smart_app.web.pages import error_page
from smart_app.web.runtime import WebRuntime, runtime
from smart_app.web.security import same_origin_post
from smart_app.web.view import dashboard_context

log = logging.getLogger(__name__)
#: Answers to a write that end on the read-only view, never an error page: refused (403), not
#: offered (404, 405: Epic, Oracle Health), or unprocessable (422).
WRITE_REFUSED = frozenset({403, 404, 405, 422})
bp = Blueprint("dashboard", __name__, url_prefix="/app")


def _record(launch_id: str) -> LaunchRecord:
    record = runtime().launches.get(launch_id, session)
    if record is None:
        abort(404)
    return record


def _load(
    rt: WebRuntime,
    record: LaunchRecord,
    client: FhirClient | None = None,
    *,
    for_writing: bool = False,
) -> Dashboard:
    client = client or rt.fhir_client(record)
    granted = record.context.granted_scopes
    writable_scopes = record.open_server or all(can_write(granted, r) for r in PLAN_RESOURCES)
    # the CapabilityStatement only matters when the scopes would allow a write (cached per server)
    capabilities = rt.capabilities(client) if writable_scopes else None
    assert record.context.patient is not None
    return load_dashboard(
        client,
        patient_id=record.context.patient,
        granted=granted,
        open_server=record.open_server,
        capabilities=capabilities,
        context=rt.evaluation_context(),
        for_writing=for_writing,
        home=rt.plan_home(client, record),
    )


@bp.get("/<launch_id>")
def show(launch_id: str) -> Any:
    rt = runtime()
    record = _record(launch_id)
    try:
        data = _load(rt, record)  # FHIR errors: the app's error handlers (pages.py)
    except (AuthError, FhirAuthError):
        return reauthorise(record, pending_write=False)
    write_result = record.write_result
    if write_result is not None:
        record = rt.launches.update(record, write_result=None)  # shown once
    resumed_write = record.write_pending
    if resumed_write:
        record = rt.launches.update(record, write_pending=False)  # said once
    context = dashboard_context(
        data,
        evidence_link=partial(evidence_link, launch_id),
        need_patient_banner=record.context.need_patient_banner,
    )
    reasons = list(data.ability.reasons)
    if record.write_refused is not None:
        reasons.append(f"The server refused the write ({record.write_refused})")
    response = make_response(
        render_template(
            "dashboard.html",
            launch_id=launch_id,
            can_write=data.ability.allowed and record.write_refused is None,
            read_only_reasons=reasons,
            write_result=write_result,
            open_server=record.open_server,
            targets=data.targets,
            writes_something=data.writes_something,
            resumed_write=resumed_write,
            **context,
        )
    )
    # same-origin so that the write form's POST carries our Origin (see security.py)
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.get("/<launch_id>/plan.json")
def plan_download(launch_id: str) -> Any:
    """The transaction Bundle the app would write (for import by hand when it cannot write)."""
    rt = runtime()
    record = _record(launch_id)
    data = _load(rt, record, for_writing=True)
    bundle = data.changes.bundle or {"resourceType": "Bundle", "type": "transaction", "entry": []}
    response = Response(json.dumps(bundle, indent=2), mimetype="application/fhir+json")
    response.headers["Content-Disposition"] = 'attachment; filename="ms-monitor-plan.json"'
    return response


@bp.post("/<launch_id>/write")
def write(launch_id: str) -> Any:
    """Write the plan in one transaction (plus Provenance), then show the dashboard again."""
    rt = runtime()
    record = _record(launch_id)
    if not same_origin_post(request):
        log.warning("write refused: cross-origin POST launch=%s", launch_id)
        return error_page("Write refused", "The request did not come from this app's page.", 403)
    client = rt.fhir_client(record)
    try:
        return _write(rt, record, client)
    except (AuthError, FhirAuthError):
        return reauthorise(record, pending_write=True)


def _write(rt: WebRuntime, record: LaunchRecord, client: FhirClient) -> Any:
    launch_id = record.launch_id
    data = _load(rt, record, client, for_writing=True)
    if not data.ability.allowed or record.write_refused is not None:
        return redirect(url_for("dashboard.show", launch_id=launch_id), code=303)
    try:
        if data.home is not None:
            result = _targets_result(
                write_dashboard_targets(
                    data, fhir_user=record.context.fhir_user, launch_id=launch_id
                )
            )
        else:
            outcome = write_dashboard_plan(
                client,
                data,
                fhir_user=record.context.fhir_user,
                granted=record.context.granted_scopes,
                open_server=record.open_server,
                launch_id=launch_id,
            )
            result = {
                **outcome.to_dict(),
                "targets": list(data.targets.names),
                "landed": list(landed_in_ehr(data, outcome)),
            }
    except FhirError as exc:
        if exc.status not in WRITE_REFUSED:
            raise
        refused = f"HTTP {exc.status}: {exc.outcome or 'refused'}"
        rt.launches.update(record, write_refused=refused)
        return redirect(url_for("dashboard.show", launch_id=launch_id), code=303)
    rt.launches.update(record, write_result=result)
    return redirect(url_for("dashboard.show", launch_id=launch_id), code=303)


def _targets_result(delivery: Delivery) -> dict[str, Any]:
    """What the page reports after a write over the targets (identifiers and counts only)."""
    plan = delivery.plan.to_dict() if delivery.plan is not None else {"written": False}
    return {**plan, "targets": list(delivery.targets), "landed": list(delivery.landed())}
