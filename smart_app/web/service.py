"""What a dashboard needs for one launch: read (one batch), evaluate, plan; and the write.

Read-only degradation (product.md, mode 5): writing needs create+update on CarePlan and Task in the
granted scopes, the two resources' create/update and the ``transaction`` interaction in the
CapabilityStatement, and the server's consent (a 403 on the write). When any is missing the plan is
shown read-only with the transaction Bundle as a download, and the page says why; the launch never
fails for it. When our CarePlan/Tasks cannot be read, the app evaluates without them and says so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from smart_app.auth.scopes import allowed, can_read, can_write
from smart_app.domain import (
    EvaluationContext,
    PatientReport,
    PatientTimeline,
    PlanChanges,
    evaluate_timeline,
    extract_timeline,
    plan_transaction,
)
from smart_app.fhir import FhirClient
from smart_app.fhir.fallback import PatientRead, read_patient_record_with_fallback
from smart_app.web.provenance import with_provenance

log = logging.getLogger(__name__)
audit_log = logging.getLogger("smart_app.audit")

PLAN_RESOURCES = ("CarePlan", "Task")


@dataclass(frozen=True, slots=True)
class WriteAbility:
    """Whether the plan may be written, and if not, every reason (shown to the user)."""

    allowed: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the dashboard page shows for one launch."""

    patient: dict[str, Any]
    timeline: PatientTimeline
    report: PatientReport
    read: PatientRead
    changes: PlanChanges
    ability: WriteAbility
    notices: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What one write did (identifiers of Tasks, never patient data) and the server's answer."""

    written: bool
    careplan: str
    created: tuple[str, ...]
    updated: tuple[str, ...]
    completed: tuple[str, ...]
    cancelled: tuple[str, ...]
    left_alone: tuple[str, ...]
    unchanged: tuple[str, ...]
    locations: tuple[str, ...]
    provenance: bool

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def write_ability(
    granted: Iterable[str], capabilities: dict[str, Any] | None, *, open_server: bool
) -> WriteAbility:
    """Check scopes (unless open server) and the CapabilityStatement (when we have one)."""
    scopes = frozenset(granted)
    reasons: list[str] = []
    if not open_server:
        missing = [r for r in PLAN_RESOURCES if not can_write(scopes, r)]
        if missing:
            reasons.append(
                "The granted scopes do not allow writing "
                + " and ".join(missing)
                + " (create and update)."
            )
    if capabilities is not None:
        reasons.extend(_capability_gaps(capabilities))
    return WriteAbility(not reasons, tuple(reasons))


def _capability_gaps(capabilities: dict[str, Any]) -> list[str]:
    rests = [r for r in capabilities.get("rest") or [] if isinstance(r, dict)]
    server = next((r for r in rests if r.get("mode") == "server"), rests[0] if rests else {})
    system = {i.get("code") for i in server.get("interaction") or [] if isinstance(i, dict)}
    gaps = []
    if "transaction" not in system:
        gaps.append("The server's CapabilityStatement does not list the transaction interaction.")
    by_type = {
        r.get("type"): {i.get("code") for i in r.get("interaction") or [] if isinstance(i, dict)}
        for r in server.get("resource") or []
        if isinstance(r, dict)
    }
    for resource in PLAN_RESOURCES:
        if not {"create", "update"} <= by_type.get(resource, set()):
            gaps.append(
                f"The server's CapabilityStatement does not allow creating and updating {resource}."
            )
    return gaps


def load_dashboard(
    client: FhirClient,
    *,
    patient_id: str,
    granted: Iterable[str],
    open_server: bool,
    capabilities: dict[str, Any] | None,
    rules: EvaluationContext,
    as_of: date,
    for_writing: bool,
) -> Dashboard:
    """Read the record, evaluate it and plan the transaction (nothing is written here).

    ``for_writing`` validates the planned resources; the page itself only shows what would change.
    """
    scopes = frozenset(granted)
    notices: list[str] = []
    plan_granted = open_server or all(can_read(scopes, r) for r in PLAN_RESOURCES)
    read = read_patient_record_with_fallback(
        client, patient_id, canonical_base=rules.canonical_base, read_plan=plan_granted
    )
    if not read.plan_readable:
        notices.append(
            "The existing plan (CarePlan and Tasks) could not be read with this launch's "
            "permissions: the evaluation below does not take it into account."
        )
    timeline = extract_timeline(list(read.record.resources), rules.on(as_of))
    report = evaluate_timeline(timeline)
    changes = plan_transaction(report, list(read.record.existing_plan), validate=for_writing)
    patient = read.record.resources[0] if read.record.resources else {}
    return Dashboard(
        patient=patient,
        timeline=timeline,
        report=report,
        read=read,
        changes=changes,
        ability=write_ability(scopes, capabilities, open_server=open_server),
        notices=tuple(notices),
    )


def provenance_allowed(granted: Iterable[str], *, open_server: bool) -> bool:
    """Provenance is written with the plan only when the token may create it."""
    return open_server or allowed(frozenset(granted), "Provenance", "c")


def write_plan(
    client: FhirClient,
    dashboard: Dashboard,
    *,
    fhir_user: str | None,
    with_audit: bool,
    launch_id: str,
) -> WriteOutcome:
    """Send the planned transaction (plus a Provenance) and log who wrote what, without PHI."""
    changes = dashboard.changes
    locations: tuple[str, ...] = ()
    written = False
    audited = False
    if changes.bundle is not None:
        bundle = changes.bundle
        if with_audit:
            bundle = with_provenance(bundle, fhir_user=fhir_user, recorded=datetime.now(UTC))
            audited = len(bundle.get("entry") or []) > len(changes.bundle.get("entry") or [])
        response = client.transaction(bundle)
        locations = tuple(
            str((entry.get("response") or {}).get("location", "")).split("/_history", 1)[0]
            for entry in response.get("entry") or []
            if isinstance(entry, dict)
        )
        written = True
    outcome = WriteOutcome(
        written=written,
        careplan=changes.careplan,
        created=changes.created,
        updated=changes.updated,
        completed=changes.completed,
        cancelled=changes.cancelled,
        left_alone=changes.left_alone,
        unchanged=changes.unchanged,
        locations=locations,
        provenance=audited,
    )
    audit_log.info(
        "plan write launch=%s agent=%s server=%s written=%s careplan=%s created=%d updated=%d "
        "completed=%d cancelled=%d left_alone=%d provenance=%s resources=%s",
        launch_id,
        fhir_user or "app",
        client.base_url,
        written,
        changes.careplan,
        len(changes.created),
        len(changes.updated),
        len(changes.completed),
        len(changes.cancelled),
        len(changes.left_alone),
        audited,
        ",".join(loc for loc in locations if loc),
    )
    return outcome
