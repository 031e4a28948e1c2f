"""Where a plan goes, decided per server from its profile and the granted scopes.

No production EHR stores an app's CarePlan or Task, and none supports conditional create
(Epic's statement says ``conditionalCreate: false``; Oracle Health documents none). So:

* ``ehr``: CarePlan + Tasks into the EHR when its statement and the grant allow creating and
  updating both, a transaction and conditional create (HAPI and other open servers), as before;
* ``plan-store``: otherwise into ms-monitor's own plan store (smart_app.service.plan_store);
* ``ehr-note``: with the plan store, a clinical-note DocumentReference in the EHR where it
  accepts one (Epic, Oracle Health), plus a single-target Provenance where offered and an inbox
  Communication to the clinician where the site offers it (Oracle Health);
* ``download``: the transaction Bundle, when none of these is possible.

The page shows :meth:`PlanTargets.describe` before the write; the write reports what landed.
"""

from __future__ import annotations

from dataclasses import dataclass

from smart_app.domain.reads import PLAN_TYPES
from smart_app.fhir.server_profile import ServerProfile

EHR = "ehr"
PLAN_STORE = "plan-store"
EHR_NOTE = "ehr-note"
DOWNLOAD = "download"


@dataclass(frozen=True, slots=True)
class PlanTargets:
    """The plan's home (``ehr``, ``plan-store`` or ``download``) and the note, with why."""

    plan: str
    note: bool
    note_provenance: bool
    reasons: tuple[str, ...]
    inbox: bool = False  # a Communication to the clinician's inbox (where the site offers it)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.plan, EHR_NOTE) if self.note else (self.plan,)

    @property
    def writes(self) -> bool:
        return self.plan != DOWNLOAD

    def describe(self) -> tuple[str, ...]:
        """Sentences for the page and the run summary: where the plan will be kept."""
        home = {
            EHR: "The CarePlan and Tasks are written to the EHR's FHIR server.",
            PLAN_STORE: "The CarePlan and Tasks are kept in ms-monitor's plan store "
            "(the EHR does not accept them).",
            DOWNLOAD: "The plan cannot be kept anywhere: it is offered as a download.",
        }[self.plan]
        lines = [home]
        if self.note:
            lines.append(
                "A clinical note with the plan is written to the EHR, once per plan change"
                + (", with its Provenance." if self.note_provenance else ".")
            )
        if self.inbox:
            lines.append("The signed-in clinician gets an inbox message when the plan changes.")
        return (*lines, *self.reasons)


def ehr_accepts_plan(profile: ServerProfile) -> bool:
    """CarePlan and Task create and update, conditional create, and a transaction."""
    return profile.transaction and all(
        profile.can_write(rtype, interaction) and profile.types[rtype].conditional_create
        for rtype in PLAN_TYPES
        for interaction in ("create", "update")
    )


def decide_targets(
    profile: ServerProfile | None,
    *,
    plan_store: bool,
    refused: bool = False,
    inbox_offered: bool = False,
) -> PlanTargets:
    """Where this server's plans go. ``profile`` None: unknown server (download only);
    ``refused``: the EHR refused the plan at run time although its statement allowed it;
    ``inbox_offered``: the site delivers an app's Communication to a practitioner's inbox."""
    if profile is None:
        return PlanTargets(DOWNLOAD, False, False, ("The server's capabilities are unknown.",))
    if ehr_accepts_plan(profile) and not refused:
        return PlanTargets(EHR, False, False, ())
    reasons = []
    if refused:
        reasons.append("The EHR refused the CarePlan and Tasks.")
    if not plan_store:
        reasons.append("No plan store is configured (MS_MONITOR_PLAN_STORE_URL).")
        return PlanTargets(DOWNLOAD, False, False, tuple(reasons))
    note = profile.can_write("DocumentReference", "create")
    provenance = note and profile.can_write("Provenance", "create")
    inbox = note and inbox_offered and profile.can_write("Communication", "create")
    return PlanTargets(PLAN_STORE, note, provenance, tuple(reasons), inbox)
