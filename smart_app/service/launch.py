"""What a dashboard needs for one launch: read (one batch), evaluate, plan; and the write.

With a plan store configured, the plan's targets are decided from the server profile and the
grant (smart_app.service.plan_targets): an EHR that refuses CarePlan/Task gets the plan in
ms-monitor's plan store and a clinical note. Without one, writing to the EHR needs create+update
on CarePlan and Task in the granted scopes, the two resources' create/update and the
``transaction`` interaction in the CapabilityStatement, and the server's consent (a 403, 404, 405
or 422 on the write). When any is missing the plan is shown read-only with the transaction
Bundle as a download, and the page says why; the launch never fails for it. When our
CarePlan/Tasks cannot be read, the app evaluates without them and says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from smart_app.auth.scopes import can_read, can_write
from smart_app.domain import PatientReport, PatientTimeline, PlanChanges
from smart_app.domain.reads import PLAN_TYPES
from smart_app.fhir import FhirClient
from smart_app.fhir.patient_record import PatientRecord
from smart_app.service.context import EvaluationContext
from smart_app.service.engine import Evaluation
from smart_app.service.patient_plan import (
    Assessment,
    WriteOutcome,
    assess_patient,
    audit_allowed,
    write_plan,
)
from smart_app.service.plan_delivery import (
    Delivery,
    PlanHome,
    assess_for,
    deliver,
    note_due,
    user_resolves,
)
from smart_app.service.plan_store import PatientLink
from smart_app.service.plan_targets import DOWNLOAD, EHR, PLAN_STORE, PlanTargets

PLAN_RESOURCES = PLAN_TYPES


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
    record: PatientRecord
    changes: PlanChanges
    ability: WriteAbility
    notices: tuple[str, ...]
    context: EvaluationContext  # the date and thresholds this page was evaluated with
    targets: PlanTargets = field(default_factory=lambda: PlanTargets(EHR, False, False, ()))
    home: PlanHome | None = None  # set when the plan goes to the plan store
    link: PatientLink | None = None
    note_due: bool = False  # the EHR note of this plan state is not there yet

    @property
    def writes_something(self) -> bool:
        """The write button: plan changes, or this plan's note still to write."""
        return self.changes.bundle is not None or self.note_due


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
    context: EvaluationContext,
    for_writing: bool,
    home: PlanHome | None = None,
) -> Dashboard:
    """Read the record, evaluate it and plan the transaction (nothing is written here).

    ``for_writing`` validates the planned resources; the page itself only shows what would change.
    ``home`` (a plan store is configured): the targets decided from the server profile; when the
    plan goes to the store it is read from and compared with the store.
    """
    scopes = frozenset(granted)
    if home is not None and home.targets.plan == PLAN_STORE:
        return _load_store_dashboard(client, home, patient_id, context, for_writing)
    notices: list[str] = []
    plan_granted = open_server or all(can_read(scopes, r) for r in PLAN_RESOURCES)
    assessed = assess_patient(
        client, patient_id, context, read_plan=plan_granted, validate=for_writing
    )
    record, evaluation = assessed.record, assessed.evaluation
    if not record.plan_readable:
        notices.append(
            "The existing plan (CarePlan and Tasks) could not be read with this launch's "
            "permissions: the evaluation below does not take it into account."
        )
    patient = record.resources[0] if record.resources else {}
    ability = write_ability(scopes, capabilities, open_server=open_server)
    if home is not None and home.targets.plan == DOWNLOAD:
        ability = WriteAbility(False, (*ability.reasons, *home.targets.reasons))
    targets = PlanTargets(EHR if ability.allowed else DOWNLOAD, False, False, ())
    return Dashboard(
        patient=patient,
        timeline=evaluation.timeline,
        report=evaluation.report,
        record=record,
        changes=evaluation.changes,
        ability=ability,
        notices=tuple(notices),
        context=context,
        targets=targets,
    )


def _load_store_dashboard(
    client: FhirClient,
    home: PlanHome,
    patient_id: str,
    context: EvaluationContext,
    for_writing: bool,
) -> Dashboard:
    """The EHR refuses the plan: read the record there, our plan from the plan store."""
    assessed, link = assess_for(home, patient_id, context, read_plan=True, validate=for_writing)
    record, evaluation = assessed.record, assessed.evaluation
    return Dashboard(
        patient=record.resources[0] if record.resources else {},
        timeline=evaluation.timeline,
        report=evaluation.report,
        record=record,
        changes=evaluation.changes,
        ability=WriteAbility(True, ()),
        notices=(),
        context=context,
        targets=home.targets,
        home=home,
        link=link,
        note_due=home.targets.note and note_due(home, evaluation.report, patient_id, context),
    )


def write_dashboard_targets(
    dashboard: Dashboard, *, fhir_user: str | None, launch_id: str
) -> Delivery:
    """Write the launch's plan to the plan store and its note to the EHR, as ``fhir_user``."""
    assert dashboard.home is not None
    return deliver(
        dashboard.home,
        assess_result(dashboard),
        dashboard.link,
        dashboard.context,
        author=fhir_user,
        audit=True,
        label=f"launch:{launch_id}",
    )


def assess_result(dashboard: Dashboard) -> Assessment:
    return Assessment(
        dashboard.record, Evaluation(dashboard.timeline, dashboard.report, dashboard.changes)
    )


def write_dashboard_plan(
    client: FhirClient,
    dashboard: Dashboard,
    *,
    fhir_user: str | None,
    granted: Iterable[str],
    open_server: bool,
    launch_id: str,
) -> WriteOutcome:
    """Write the launch's plan as ``fhir_user``, with Provenance when the token may create it.

    The Provenance's agent is the ``fhirUser`` reference only where it resolves on this server
    (else an identifier: a dangling reference would sink the whole transaction, HAPI-1094).
    """
    return write_plan(
        client,
        Evaluation(dashboard.timeline, dashboard.report, dashboard.changes),
        author=fhir_user,
        audit=audit_allowed(granted, open_server=open_server),
        label=f"launch:{launch_id}",
        issuer=client.base_url,
        user_resolves=user_resolves(client, fhir_user),
    )


def landed_in_ehr(dashboard: Dashboard, outcome: WriteOutcome) -> tuple[str, ...]:
    """What the page reports after a write to the EHR itself."""
    return Delivery(dashboard.targets.names, EHR, outcome, None).landed()
