"""The write use case over every target: EHR, plan store, EHR note, download.

Every edge (a launch's "Write plan", ``ms-monitor run``, the queue worker) assesses and writes
through here, so what lands where is decided once (smart_app.service.plan_targets) and reported
the same way on the page and in the run summary.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from smart_app.domain import PatientReport
from smart_app.errors import FhirError, FhirFatalError
from smart_app.fhir import FhirClient
from smart_app.fhir.client import ScopedTokenSource
from smart_app.fhir.patient_record import SHARED_PROFILES, ReadSetup, read_patient_record
from smart_app.fhir.server_profile import ServerProfile, ServerProfiles
from smart_app.service.context import EvaluationContext
from smart_app.service.ehr_note import NoteResult, NoteWriter, note_key
from smart_app.service.engine import Evaluation, evaluate
from smart_app.service.patient_plan import (
    Assessment,
    PatientRun,
    WriteOutcome,
    assess_patient,
    client_may_audit,
    plan_systems,
)
from smart_app.service.patient_plan import write_plan as write_plan_to
from smart_app.service.plan_store import (
    PatientLink,
    link_patient,
    read_stored_plan,
    store_transaction,
)
from smart_app.service.plan_targets import EHR, PLAN_STORE, PlanTargets, decide_targets
from smart_app.service.provenance import author_who, provenance_resource
from smart_app.service.server_reads import read_setup
from smart_app.service.write_ledger import WriteLedger
from smart_app.site_config import SiteConfiguration

PLAN_STORE_NAME = "ms-monitor's plan store"
#: Server profiles per issuer, for the whole process (cached for their TTL): the reader's.
PROFILES = SHARED_PROFILES


@dataclass(frozen=True, slots=True)
class PlanHome:
    """The EHR, its profile, the plan store (if any) and the targets decided for them."""

    ehr: FhirClient
    profile: ServerProfile
    store: FhirClient | None
    targets: PlanTargets
    site: SiteConfiguration = field(default_factory=SiteConfiguration)
    profiles: ServerProfiles = field(default_factory=lambda: PROFILES)

    @property
    def issuer(self) -> str:
        return self.ehr.base_url


def plan_home(
    ehr: FhirClient,
    *,
    granted: Iterable[str] | None,
    store: FhirClient | None,
    profiles: ServerProfiles = PROFILES,
    site: SiteConfiguration | None = None,
) -> PlanHome:
    """The targets for this EHR and grant (``granted`` None: an open server)."""
    profile = profiles.profile_for(ehr, granted)
    site = site or SiteConfiguration()
    targets = decide_targets(
        profile, plan_store=store is not None, inbox_offered=site.inbox_communication
    )
    return PlanHome(ehr, profile, store, targets, site, profiles)


def unattended_home(
    ehr: FhirClient, store: FhirClient | None, *, site: SiteConfiguration | None = None
) -> PlanHome:
    """The targets of an unattended client: its token's granted scopes, or an open server;
    ``site``: the configuration registered for its FHIR base (smart_app.service.server_reads)."""
    source = ehr.token_source
    granted = source.granted_scopes() if isinstance(source, ScopedTokenSource) else None
    return plan_home(ehr, granted=granted, store=store, site=site)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What landed where for one patient (identifiers only)."""

    targets: tuple[str, ...]
    plan_target: str
    plan: WriteOutcome | None
    note: NoteResult | None
    store_patient: str = ""
    inbox: str = ""  # the inbox Communication's status (written | already | ...), "" if none

    def landed(self) -> tuple[str, ...]:
        """Sentences for the page and the summary, one per target."""
        lines = []
        where = {EHR: "the EHR", PLAN_STORE: PLAN_STORE_NAME}.get(self.plan_target, "")
        if self.plan is not None and self.plan.written:
            lines.append(
                f"Plan written to {where}: CarePlan {self.plan.careplan}, "
                f"{len(self.plan.created)} Task(s) created, {len(self.plan.updated)} updated, "
                f"{len(self.plan.completed)} completed, {len(self.plan.cancelled)} cancelled."
            )
        elif where:
            lines.append(f"The plan in {where} is up to date: nothing written.")
        if self.note is not None:
            lines.append(_note_sentence(self.note))
        if self.inbox == "written":
            lines.append("Inbox message sent to the clinician.")
        elif self.inbox in ("refused", "pending"):
            lines.append(f"The inbox message to the clinician was not confirmed ({self.inbox}).")
        return tuple(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "targets": list(self.targets),
            "plan_target": self.plan_target,
            "plan": self.plan.to_dict() if self.plan is not None else None,
            "note": None
            if self.note is None
            else {"status": self.note.status, "location": self.note.location},
            "landed": list(self.landed()),
        }


def _note_sentence(note: NoteResult) -> str:
    return {
        "written": f"Clinical note written to the EHR ({note.location}).",
        "already": "The EHR already holds the note of this plan: no new note.",
        "recovered": f"The note of this plan was found in the EHR ({note.location}): "
        "not written again.",
        "pending": "The EHR did not confirm the note; it is checked before any retry.",
        "refused": f"The EHR refused the note: {note.detail}",
    }.get(note.status, note.status)


def assess_for(
    home: PlanHome,
    patient_id: str,
    context: EvaluationContext,
    *,
    read_plan: bool,
    validate: bool = True,
    setup: ReadSetup | None = None,
) -> tuple[Assessment, PatientLink | None]:
    """Read and evaluate, with our existing plan read from where the plan is kept. The record
    is read by the one reader with the home's site and grant (``setup`` None). The site's
    CarePlan category is the EHR's: the plan store, ms-monitor's own server, files and finds the
    plan under US Core's ``assess-plan`` whatever the site."""
    setup = setup or home_setup(home, context)
    if home.targets.plan != PLAN_STORE or home.store is None:
        return assess_patient(
            home.ehr, patient_id, context, read_plan=read_plan, validate=validate, setup=setup
        ), None
    read = read_patient_record(home.ehr, patient_id, plan=None, setup=setup)
    link = link_patient(home.store, home.issuer, patient_id)
    existing = read_stored_plan(home.store, link, plan_systems(context))
    record = replace(read, existing_plan=tuple(existing), plan_readable=True)
    evaluation = evaluate(
        record.resources, existing, context, validate=validate, unavailable=record.unavailable
    )
    return Assessment(record, evaluation), link


def home_setup(home: PlanHome, context: EvaluationContext) -> ReadSetup:
    """How the home's EHR is read: its site configuration and the grant its profile holds."""
    granted = None if home.profile.open_server else home.profile.granted
    return read_setup(
        home.ehr, context, home.site, granted=granted, from_client=False, profiles=home.profiles
    )


def deliver(
    home: PlanHome,
    assessment: Assessment,
    link: PatientLink | None,
    context: EvaluationContext,
    *,
    author: str | None,
    audit: bool,
    label: str,
) -> Delivery:
    """Write the assessed plan to its targets (nothing for ``download``)."""
    evaluation: Evaluation = assessment.evaluation
    targets = home.targets
    plan: WriteOutcome | None = None
    note: NoteResult | None = None
    inbox = ""
    resolves = user_resolves(home.ehr, author)
    if targets.plan == EHR:
        plan = write_plan_to(
            home.ehr,
            evaluation,
            author=author,
            audit=audit,
            label=label,
            issuer=home.issuer,
            user_resolves=resolves,
        )
    elif targets.plan == PLAN_STORE and home.store is not None and link is not None:
        store_link = link
        plan = write_plan_to(
            home.store,
            evaluation,
            author=author,
            audit=True,
            label=label,
            issuer=home.issuer,
            user_resolves=False,
            prepare=lambda bundle: store_transaction(bundle, store_link),
        )
        if targets.note:
            writer = NoteWriter(
                home.ehr,
                WriteLedger(home.store, context.canonical_base),
                home.profile,
                canonical_base=context.canonical_base,
            )
            now = datetime.now(UTC)
            who = author_who(author, issuer=home.issuer, resolves=resolves)
            provenance = (
                provenance_resource([], who=who, user=bool(author), recorded=now)
                if targets.note_provenance
                else None
            )
            note = writer.write(
                evaluation.report,
                patient_id=assessment.record.patient_id,
                link=link.reference,
                when=now,
                where=PLAN_STORE_NAME,
                provenance=provenance,
            )
            # the recipient may be unreadable with the granted scopes; a refused message is
            # reported and never touches the plan (its own request)
            recipient = practitioner_on(home.ehr, author) if targets.inbox else ""
            if recipient:
                inbox = writer.inbox(
                    evaluation.report,
                    patient_id=assessment.record.patient_id,
                    link=link.reference,
                    recipient=recipient,
                    note=note,
                    when=now,
                )
    return Delivery(
        targets.names,
        targets.plan,
        plan,
        note,
        store_patient=link.reference if link is not None else "",
        inbox=inbox,
    )


def note_due(
    home: PlanHome, report: PatientReport, patient_id: str, context: EvaluationContext
) -> bool:
    """This plan state's note is not (known to be) in the EHR yet: one ledger read."""
    if home.store is None:
        return False
    key = note_key(home.issuer, patient_id, report)
    entry = WriteLedger(home.store, context.canonical_base).find(key)
    return entry is None or not entry.committed


def practitioner_on(client: FhirClient, fhir_user: str | None) -> str:
    """``Practitioner/id`` on ``client``'s server for the ``fhirUser``, or ``""``."""
    reference = (fhir_user or "").removeprefix(f"{client.base_url}/")
    return reference if reference.startswith("Practitioner/") and reference.count("/") == 1 else ""


def user_resolves(client: FhirClient, fhir_user: str | None) -> bool:
    """Whether the ``fhirUser`` reference can be read on ``client``'s server."""
    if not fhir_user:
        return False
    reference = fhir_user
    if reference.startswith(("http://", "https://")):
        if not reference.startswith(f"{client.base_url}/"):
            return False
        reference = reference[len(client.base_url) + 1 :]
    rtype, _, rid = reference.partition("/")
    if not rtype or not rid or "/" in rid:
        return False
    try:
        client.read(rtype, rid)
    except FhirError:
        return False
    return True


def update_patient_plan_at(
    home: PlanHome,
    patient_id: str,
    context: EvaluationContext,
    *,
    dry_run: bool = False,
    label: str = "run",
) -> PatientRun:
    """The unattended use case over the targets: on an EHR that refuses the plan, keep the plan
    store current and write a note only when the plan changed (the ledger knows)."""
    assessment, link = assess_for(home, patient_id, context, read_plan=True)
    if not assessment.record.plan_readable:
        raise FhirFatalError(
            f"the CarePlan and Tasks of Patient/{patient_id} could not be read: nothing written",
            status=403,
        )
    if dry_run or not home.targets.writes:
        return PatientRun(patient_id, assessment.evaluation, None, target=home.targets.plan)
    delivery = deliver(
        home,
        assessment,
        link,
        context,
        author=None,
        audit=client_may_audit(home.ehr) if home.targets.plan == EHR else True,
        label=label,
    )
    return PatientRun(
        patient_id,
        assessment.evaluation,
        delivery.plan,
        target=delivery.plan_target,
        note=delivery.note.status if delivery.note is not None else "",
        landed=delivery.landed(),
    )
