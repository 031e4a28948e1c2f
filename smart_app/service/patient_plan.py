"""The use case every edge shares: read a patient's record, evaluate it, plan, write with audit.

A launch (web), ``ms-monitor run``, a queue job and a population run all go through
:func:`update_patient_plan` (or its parts), so every path reads with the same reader (the
portable searches the server offers, batched where it offers batch), evaluates with the same
context, and writes the plan in one transaction with a Provenance
(https://hl7.org/fhir/R4/provenance.html) when the token may create one. Identifiers only are
logged, never patient data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from smart_app.auth.scopes import allowed
from smart_app.domain import PatientReport, PlanChanges
from smart_app.domain.reads import AUDIT_TYPES
from smart_app.errors import FhirFatalError
from smart_app.fhir import FhirClient
from smart_app.fhir.client import ScopedTokenSource
from smart_app.fhir.patient_record import (
    PatientRecord,
    PlanSystems,
    ReadSetup,
    read_patient_record,
    read_plan_only,
)
from smart_app.service.context import EvaluationContext
from smart_app.service.engine import Evaluation, evaluate, plan_identifier_systems
from smart_app.service.provenance import with_provenance
from smart_app.service.server_reads import read_setup
from smart_app.site_config import SiteConfiguration

audit_log = logging.getLogger("smart_app.audit")


@dataclass(frozen=True, slots=True)
class Assessment:
    """A patient's record as read, and its evaluation (nothing written yet)."""

    record: PatientRecord
    evaluation: Evaluation


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


def audit_allowed(granted: Iterable[str], *, open_server: bool) -> bool:
    """Provenance is written with the plan only when the token may create it."""
    scopes = frozenset(granted)
    return open_server or all(allowed(scopes, r, "c") for r in AUDIT_TYPES)


def client_may_audit(client: FhirClient) -> bool:
    """For unattended clients: an open server, or a token whose granted scopes allow it."""
    source = client.token_source
    if source is None:
        return True
    if isinstance(source, ScopedTokenSource):
        return audit_allowed(source.granted_scopes(), open_server=False)
    return False


def plan_systems(context: EvaluationContext) -> PlanSystems:
    """Where the reader finds the plan ms-monitor wrote earlier."""
    careplan, task = plan_identifier_systems(context)
    return PlanSystems(careplan=careplan, task=task)


def assess_patient(
    client: FhirClient,
    patient_id: str,
    context: EvaluationContext,
    *,
    read_plan: bool = True,
    validate: bool = True,
    setup: ReadSetup | None = None,
) -> Assessment:
    """Read the record (our plan too when ``read_plan``), evaluate it and plan the transaction.

    ``setup`` None: an unattended read (the client's own grant, no site configuration).
    """
    setup = setup or read_setup(client, context)
    record = read_patient_record(
        client, patient_id, plan=plan_systems(context) if read_plan else None, setup=setup
    )
    evaluation = evaluate(
        record.resources,
        record.existing_plan,
        context,
        validate=validate,
        unavailable=record.unavailable,
        careplan_category=setup.site.careplan_category,
    )
    return Assessment(record, evaluation)


def assess_exported_patient(
    client: FhirClient,
    patient_id: str,
    resources: list[dict[str, Any]],
    context: EvaluationContext,
    site: SiteConfiguration | None = None,
) -> Assessment:
    """The bulk path: clinical resources came from an export; only our plan is read here."""
    setup = read_setup(client, context, site)
    existing = read_plan_only(client, patient_id, plan_systems(context), setup=setup)
    record = PatientRecord(patient_id, tuple(resources), tuple(existing))
    evaluation = evaluate(
        resources, existing, context, careplan_category=setup.site.careplan_category
    )
    return Assessment(record, evaluation)


def write_plan(
    client: FhirClient,
    evaluation: Evaluation,
    *,
    author: str | None,
    audit: bool,
    label: str,
    issuer: str | None = None,
    user_resolves: bool = True,
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> WriteOutcome:
    """Send the planned transaction (plus a Provenance when ``audit``) and log who wrote what.

    ``author`` is the SMART ``fhirUser`` who asked for the write (None: the app itself);
    ``label`` names the request in the audit log (a launch id, ``run``, a job id);
    ``user_resolves`` False: the agent is an identifier (``issuer`` + ``fhirUser``), not a
    reference; ``prepare`` moves the transaction into another server's terms (the plan store).
    """
    changes = evaluation.changes
    locations: tuple[str, ...] = ()
    written = audited = False
    if changes.bundle is not None:
        bundle = prepare(changes.bundle) if prepare is not None else changes.bundle
        if audit:
            bundle = with_provenance(
                bundle,
                fhir_user=author,
                recorded=datetime.now(UTC),
                issuer=issuer,
                user_resolves=user_resolves,
            )
            audited = len(bundle.get("entry") or []) > len(changes.bundle.get("entry") or [])
        response = client.transaction(bundle)
        locations = tuple(
            str((entry.get("response") or {}).get("location", "")).split("/_history", 1)[0]
            for entry in response.get("entry") or []
            if isinstance(entry, dict)
        )
        written = True
    audit_log.info(
        "plan write request=%s agent=%s server=%s written=%s careplan=%s created=%d updated=%d "
        "completed=%d cancelled=%d left_alone=%d provenance=%s resources=%s",
        label,
        author or "app",
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
    return WriteOutcome(
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


@dataclass(frozen=True, slots=True)
class PatientRun:
    """What happened for one unattended patient: its evaluation and the write (if any)."""

    patient_id: str
    evaluation: Evaluation
    outcome: WriteOutcome | None  # None: nothing to write, or a dry run
    target: str = ""  # where the plan is kept (smart_app.service.plan_targets); "" = the server
    note: str = ""  # the EHR note's status (smart_app.service.ehr_note.NoteResult), if any
    landed: tuple[str, ...] = ()  # what landed where, as the summary says it

    @property
    def written(self) -> bool:
        return self.outcome is not None and self.outcome.written

    @property
    def report(self) -> PatientReport:
        return self.evaluation.report

    @property
    def changes(self) -> PlanChanges:
        return self.evaluation.changes


def finish_unattended(
    client: FhirClient, assessment: Assessment, *, dry_run: bool, label: str
) -> PatientRun:
    """Write an assessed plan as the app itself (no user), with Provenance when allowed."""
    evaluation = assessment.evaluation
    patient_id = assessment.record.patient_id
    if evaluation.changes.bundle is None or dry_run:
        return PatientRun(patient_id, evaluation, None)
    outcome = write_plan(
        client, evaluation, author=None, audit=client_may_audit(client), label=label
    )
    return PatientRun(patient_id, evaluation, outcome)


def update_patient_plan(
    client: FhirClient,
    patient_id: str,
    context: EvaluationContext,
    *,
    dry_run: bool = False,
    label: str = "run",
    site: SiteConfiguration | None = None,
) -> PatientRun:
    """Evaluate ``patient_id`` and bring its plan on the server up to date (unattended paths).

    Unlike a launch, which shows the plan it could not read and lets the clinician decide, an
    unattended run never writes without knowing the plan already there: an unreadable plan is a
    failure of that patient (its Tasks would otherwise be planned as if none existed).
    """
    setup = read_setup(client, context, site)
    assessment = assess_patient(client, patient_id, context, setup=setup)
    if not assessment.record.plan_readable:
        raise FhirFatalError(
            f"the CarePlan and Tasks of Patient/{patient_id} could not be read: nothing written",
            status=403,
        )
    return finish_unattended(client, assessment, dry_run=dry_run, label=label)


def update_exported_patient_plan(
    client: FhirClient,
    patient_id: str,
    resources: list[dict[str, Any]],
    context: EvaluationContext,
    *,
    dry_run: bool = False,
    site: SiteConfiguration | None = None,
) -> PatientRun:
    """The bulk path: the clinical resources came from an export, our plan from the server."""
    assessment = assess_exported_patient(client, patient_id, resources, context, site)
    return finish_unattended(client, assessment, dry_run=dry_run, label="bulk-run")
