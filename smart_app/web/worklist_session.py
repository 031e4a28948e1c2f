"""The worklist's sign-in: a SMART standalone *provider* launch, bound to the browser session.

https://hl7.org/fhir/smart-app-launch/app-launch.html#launch-app-standalone-launch: without
``launch/patient`` the token response names no patient; the callback accepts that only for a
pending launch whose purpose is the worklist (smart_app.auth.tokens.WORKLIST_PURPOSE), and only
when the grant reads patients at user level (``patient/`` scopes are bound to one patient and are
refused). Tokens stay server-side under a new launch id that the session names
(never one of its dashboards); the session gets a new id after login, as for a patient launch.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from flask import redirect, session, url_for

from smart_app.auth.scopes import worklist_allowed
from smart_app.auth.token_source import save_tokens
from smart_app.auth.tokens import TokenSet
from smart_app.web.launches import WORKLIST_SESSION_KEY, LaunchRecord, new_launch_id
from smart_app.web.pages import error_page
from smart_app.web.runtime import runtime
from smart_app.web.sessions import rotate_session

log = logging.getLogger(__name__)

PATIENT_LEVEL_ONLY = (
    "This sign-in grants access to one patient's record only (patient-level scopes). The "
    "clinic's worklist needs user-level read access (user/ scopes): at least Patient, and "
    "CarePlan and Task where the plans are kept in the EHR. Ask your EHR administrator to "
    "allow them for ms-monitor."
)


def patient_level_refusal() -> Any:
    return error_page("Worklist not available", PATIENT_LEVEL_ONLY, 403)


def worklist_signed_in(tokens: TokenSet) -> Any:
    """Keep the worklist grant for this browser session and open the worklist."""
    rt = runtime()
    if not worklist_allowed(tokens.context.granted_scopes):
        log.warning("worklist sign-in refused: no user-level read grant")
        return patient_level_refusal()
    launch_id = new_launch_id()
    # a patient the server added on its own does not make this a patient launch
    context = replace(tokens.context, patient=None)
    save_tokens(
        rt.store, launch_id, replace(tokens, context=context), rt.settings.session_ttl_seconds
    )
    rt.launches.save(LaunchRecord(launch_id, context, open_server=False))
    session[WORKLIST_SESSION_KEY] = launch_id
    rotate_session(session)  # new session id after login (session fixation)
    log.info("worklist sign-in completed: launch=%s server=%s", launch_id, context.iss)
    return redirect(url_for("worklist.show"), code=303)
