"""How every path reads a server: its site configuration, the engine's reads, the grant.

A launch knows its issuer registration; the unattended paths (``ms-monitor run``, a queue job) and
a CDS call without prefetch know a FHIR base: the site configuration is the registration in the
issuer allowlist (``MS_MONITOR_ISSUERS_FILE``) whose ``iss`` is that base, so one registration
configures a site for every path. A base without a registration reads with the engine's own
codes and US Core categories. The site's codes go both into the searches and, as data, into the
evaluation context (docs/clinical-rules.md, "Site codes").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from smart_app.auth.registry import IssuerRegistry, normalize_iss
from smart_app.fhir import FhirClient
from smart_app.fhir.patient_record import SHARED_PROFILES, ReadSetup
from smart_app.fhir.search_plan import EngineReads, engine_reads_from_terminology
from smart_app.fhir.server_profile import ServerProfiles
from smart_app.service.context import EvaluationContext, evaluation_context
from smart_app.settings import Settings
from smart_app.site_config import SiteConfiguration


def engine_reads(context: EvaluationContext) -> EngineReads:
    """What the engine reads, with the context's code lists (the site's codes included)."""
    return engine_reads_from_terminology(context.terminology)


def site_for(settings: Settings, fhir_base: str) -> SiteConfiguration:
    """The site configuration registered for ``fhir_base`` (none: the defaults)."""
    if not settings.issuers_file:
        return SiteConfiguration()
    registry = IssuerRegistry.from_file(settings.issuers_file)
    base = normalize_iss(fhir_base)
    return registry.get(base).site if base in registry else SiteConfiguration()


def site_context(
    settings: Settings, site: SiteConfiguration, *, as_of: date | None = None
) -> EvaluationContext:
    """The evaluation context with the site's codes handed to the engine as data."""
    return evaluation_context(settings, as_of=as_of, site_codes=site.site_codes() or None)


def read_setup(
    client: FhirClient,
    context: EvaluationContext,
    site: SiteConfiguration | None = None,
    *,
    granted: Iterable[str] | None = None,
    from_client: bool = True,
    profiles: ServerProfiles | None = None,
) -> ReadSetup:
    """The read setup of one path. ``from_client``: the grant of the client's Backend Services
    token (unattended paths); else ``granted`` (None: an open server, or a grant not told)."""
    reads = engine_reads(context)
    if from_client:
        return ReadSetup.for_client(client, reads, site, profiles)
    return ReadSetup(
        engine=reads,
        site=site or SiteConfiguration(),
        granted=frozenset(granted) if granted is not None else None,
        profiles=profiles or SHARED_PROFILES,
    )
