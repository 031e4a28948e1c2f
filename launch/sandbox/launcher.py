"""The EHR launcher page ``/ehr``: pick a patient and options, then run the app in an iframe.

Like the public SMART launcher (https://launch.smarthealthit.org), the options inject errors:
deny a scope, make tokens expire after a few seconds, make the token endpoint refuse the client,
or require a public or confidential client. The EHR switch makes the whole sandbox behave as
another EHR (:mod:`launch.sandbox.ehr`) from that launch on, optionally rate-limited.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import requests
from flask import Blueprint, current_app, render_template, request

from launch.sandbox.clients import Flags
from launch.sandbox.config import SandboxConfig
from launch.sandbox.ehr import PROFILES
from launch.sandbox.ehr.ratelimit import parse_rate
from launch.sandbox.oauth_views import PATIENT_ID
from launch.sandbox.patients import list_patients, read_patient
from launch.sandbox.scopes import split_scopes
from launch.sandbox.state import LaunchContext, SandboxState

CLIENT_TYPES = ("any", "public", "confidential")


def create_launcher_blueprint(config: SandboxConfig, state: SandboxState) -> Blueprint:
    bp = Blueprint("sandbox_ehr", __name__)

    @bp.get("/")
    @bp.get("/ehr")
    def picker() -> Any:
        query = request.args.get("q", "").strip()
        try:
            patients = list_patients(config, query or None)
            problem = None
        except requests.RequestException as exc:
            current_app.logger.warning("patient list failed: %s", exc)
            patients, problem = [], f"HAPI FHIR at {config.upstream} did not answer"
        return render_template(
            "ehr_picker.html",
            patients=patients,
            problem=problem,
            query=query,
            config=config,
            client_types=CLIENT_TYPES,
            profiles=PROFILES.values(),
            current=state.profile(),
            rate_limit=state.rate_limit.per_minute if state.rate_limit else None,
        )

    @bp.get("/ehr/launch")
    def launch() -> Any:
        patient_id = request.args.get("patient", "")
        if not PATIENT_ID.match(patient_id):
            return render_template("error.html", error="bad patient", description=""), 400
        ehr = request.args.get("ehr", state.ehr)
        rate = request.args.get("rate_limit", "").strip()
        try:
            state.switch_ehr(ehr, parse_rate(rate) if rate else None)
        except ValueError as error:
            return render_template("error.html", error="bad EHR option", description=error), 400
        encounter = request.args.get("encounter", "").strip() or None
        expires = request.args.get("expires_in", "").strip()
        client_type = request.args.get("client_type", "any")
        flags = Flags(
            invalid_client=request.args.get("invalid_client") == "1",
            expires_in=int(expires) if expires.isdigit() else None,
            deny_scope=tuple(split_scopes(request.args.get("deny_scope", ""))),
        )
        context = LaunchContext(
            patient=patient_id,
            encounter=encounter,
            fhir_user=config.fhir_user,
            # the EHR frame shows its own banner, as real EHRs do (standalone launches get one)
            need_patient_banner=False,
            smart_style_url=config.style_url,
            flags=flags,
            required_client_type=client_type if client_type in CLIENT_TYPES else "any",
        )
        launch_id = state.new_launch(context)
        app_url = (
            f"{config.app_launch_url}?{urlencode({'iss': config.fhir_base, 'launch': launch_id})}"
        )
        try:
            banner = read_patient(config, patient_id)
        except requests.RequestException:
            banner = None
        return render_template(
            "ehr_frame.html",
            app_url=app_url,
            patient_id=patient_id,
            banner=banner,
            flags=flags,
            context=context,
            current=state.profile(),
            rate_limit=state.rate_limit.per_minute if state.rate_limit else None,
        )

    return bp
