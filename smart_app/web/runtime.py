"""The app's long-lived parts, built once by ``create_app`` and found via ``current_app``.

One :class:`SmartClient` per registration (its discovery result is cached), one token store shared
by sessions, pending launches, tokens and launch records, a short cache of each server's
CapabilityStatement so that a launch costs one FHIR read request, not two; and what the
machine-to-machine blueprints need (the CDS client verifier, the patient-update queue, the app's
public JWKS). All of it lives under one ``app.extensions`` key.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app

from smart_app.auth.cds_client import CdsClientVerifier
from smart_app.auth.cds_clients import CdsClientRegistry
from smart_app.auth.registry import ClientRegistration, IssuerRegistry
from smart_app.auth.smart_client import SmartClient
from smart_app.auth.store import TokenStore
from smart_app.auth.token_source import LaunchTokenSource
from smart_app.errors import FhirError
from smart_app.fhir import FhirClient
from smart_app.fhir.server_profile import ServerProfiles
from smart_app.service.connection import plan_store_client
from smart_app.service.context import EvaluationContext, evaluation_context
from smart_app.service.plan_delivery import PlanHome, plan_home
from smart_app.service.updates import QueueFactory
from smart_app.settings import Settings
from smart_app.site_config import SiteConfiguration
from smart_app.web.launches import LaunchRecord, LaunchRepository

EXTENSION = "ms_monitor"
CAPABILITIES_TTL_SECONDS = 600.0


@dataclass
class WebRuntime:
    """Everything the blueprints share."""

    settings: Settings
    store: TokenStore
    registry: IssuerRegistry
    launches: LaunchRepository
    cds_verifier: CdsClientVerifier
    cds_clients: CdsClientRegistry  # each CDS client's JWKS and the FHIR bases it may name
    patient_queue: QueueFactory
    app_jwks: dict[str, Any]
    today: Callable[[], date] = date.today
    profiles: ServerProfiles = field(default_factory=ServerProfiles)  # per issuer, with a TTL
    _clients: dict[str, SmartClient] = field(default_factory=dict)
    _capabilities: dict[str, tuple[float, dict[str, Any] | None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def evaluation_context(self, site: SiteConfiguration | None = None) -> EvaluationContext:
        """One evaluation context per request: today's date, the configured rules, the site's
        codes (its issuer registration)."""
        codes = site.site_codes() if site is not None else None
        return evaluation_context(self.settings, as_of=self.today(), site_codes=codes or None)

    def site(self, iss: str) -> SiteConfiguration:
        """The site configuration of the issuer's registration (none: the defaults)."""
        return self.registry.get(iss).site if iss in self.registry else SiteConfiguration()

    def smart_client(self, registration: ClientRegistration) -> SmartClient:
        with self._lock:
            client = self._clients.get(registration.iss)
            if client is None:
                client = SmartClient(registration, http_timeout=self.settings.http_timeout_seconds)
                self._clients[registration.iss] = client
            return client

    def fhir_client(self, record: LaunchRecord) -> FhirClient:
        """A FHIR client for one launch: its own tokens (none for an open server)."""
        token_source = None
        if not record.open_server:
            registration = self.registry.get(record.context.iss)
            token_source = LaunchTokenSource(
                self.smart_client(registration),
                self.store,
                record.token_launch,
                ttl_seconds=self.settings.session_ttl_seconds,
            )
        return FhirClient(
            record.context.iss,
            token_source=token_source,
            timeout_seconds=self.settings.http_timeout_seconds,
            retries=self.settings.http_retries,
        )

    def plan_home(self, client: FhirClient, record: LaunchRecord) -> PlanHome | None:
        """Where this launch's plan goes, when a plan store is configured (else None: the EHR
        or a download, as decided from the CapabilityStatement and the scopes)."""
        store = plan_store_client(self.settings)
        if store is None:
            return None
        site = self.site(record.context.iss)
        granted = None if record.open_server else record.context.granted_scopes
        return plan_home(client, granted=granted, store=store, site=site, profiles=self.profiles)

    def capabilities(self, client: FhirClient) -> dict[str, Any] | None:
        """The server's CapabilityStatement, cached per server; None if it cannot be read."""
        now = time.monotonic()
        with self._lock:
            cached = self._capabilities.get(client.base_url)
        if cached is not None and now - cached[0] < CAPABILITIES_TTL_SECONDS:
            return cached[1]
        try:
            statement: dict[str, Any] | None = client.capabilities()
        except FhirError:
            statement = None
        with self._lock:
            self._capabilities[client.base_url] = (now, statement)
        return statement


def runtime() -> WebRuntime:
    value = current_app.extensions[EXTENSION]
    assert isinstance(value, WebRuntime)
    return value
