"""``create_sandbox_app``: the local SMART EHR sandbox as one Flask app.

Dev tooling only: state is in memory, authorization is auto-approved, keys are test keys.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask

from launch.sandbox.clients import DEFAULT_CLIENTS_FILE, ClientRegistry
from launch.sandbox.config import SandboxConfig
from launch.sandbox.keys import SigningKey
from launch.sandbox.launcher import create_launcher_blueprint
from launch.sandbox.oauth_views import create_oauth_blueprint
from launch.sandbox.proxy import create_proxy_blueprint
from launch.sandbox.server import SmartServer
from launch.sandbox.state import SandboxState

DEFAULT_APP_BASE_URL = "http://127.0.0.1:5000"


def create_sandbox_app(
    fhir_upstream: str,
    app_launch_url: str,
    *,
    clients_file: Path | None = None,
    public_base: str,
    app_base_url: str | None = None,
    token_lifetime_seconds: int = 3600,
    state: SandboxState | None = None,
    refuse_batch: bool = False,
    ehr: str | None = None,
    rate_limit_per_minute: int | None = None,
) -> Flask:
    """The sandbox app.

    ``public_base`` is the sandbox origin as the browser and the app reach it (the OAuth issuer;
    the FHIR base is ``{public_base}/fhir``). ``app_base_url`` fills ``{app_base_url}`` in the
    registered redirect URIs (default: the origin of ``app_launch_url``). ``ehr`` is the EHR the
    sandbox behaves as (:mod:`launch.sandbox.ehr`; default ``hapi``: HAPI itself), optionally
    rate-limited to ``rate_limit_per_minute`` FHIR requests. ``refuse_batch`` makes the FHIR proxy
    refuse batch Bundles (405), like an EHR without batch, whatever the ``ehr``.
    """
    base = app_base_url or _origin(app_launch_url)
    config = SandboxConfig(
        fhir_upstream=fhir_upstream,
        public_base=public_base,
        app_launch_url=app_launch_url,
        token_lifetime_seconds=token_lifetime_seconds,
        refuse_batch=refuse_batch,
    )
    registry = ClientRegistry.from_file(clients_file or DEFAULT_CLIENTS_FILE, app_base_url=base)
    sandbox_state = state or SandboxState()
    if ehr is not None or rate_limit_per_minute is not None:
        sandbox_state.switch_ehr(ehr or sandbox_state.ehr, rate_limit_per_minute)
    server = SmartServer(config, registry, sandbox_state, SigningKey())

    app = Flask(__name__)
    app.config["SECRET_KEY"] = secrets.token_hex(32)
    app.extensions["ms_monitor_sandbox"] = {
        "config": config,
        "registry": registry,
        "state": sandbox_state,
        "server": server,
    }
    app.register_blueprint(create_oauth_blueprint(config, registry, sandbox_state, server))
    app.register_blueprint(create_proxy_blueprint(config, sandbox_state))
    app.register_blueprint(create_launcher_blueprint(config, sandbox_state))
    return app


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
