"""The plan as a clinical note in the EHR: written once per plan change, never once per launch.

Epic and Oracle Health accept a clinical-note DocumentReference from an app (US Core
DocumentReference, https://hl7.org/fhir/us/core/StructureDefinition-us-core-documentreference.html;
Oracle needs a date with a time), Oracle Health a single-target Provenance. Neither supports
conditional create, so each note is keyed by a business key (issuer, patient, digest of the plan)
in the write ledger (smart_app.service.write_ledger) and:

* a committed key is never written again (a second launch or run writes no note);
* a pending key (an answer was lost) or a timeout first searches the EHR for the note carrying the
  key as its identifier, and only writes when it is not there;
* the note's POST is never re-sent by the HTTP layer (``FhirClient.write_once``).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smart_app.domain import PatientReport
from smart_app.domain.plan import careplan_description, task_identifier_value
from smart_app.errors import FhirError, FhirTemporaryError
from smart_app.fhir import FhirClient
from smart_app.fhir.server_profile import ServerProfile
from smart_app.service.write_ledger import LedgerEntry, WriteLedger

LOINC = "http://loinc.org"
#: LOINC 18776-5 "Plan of care note" (the note's type; Epic may store its own type instead).
PLAN_NOTE_TYPE = {"system": LOINC, "code": "18776-5", "display": "Plan of care note"}
NOTE_CATEGORY = {
    "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
    "code": "clinical-note",
    "display": "Clinical Note",
}
NOTE_KIND = "ehr-note"
PROVENANCE_KIND = "ehr-provenance"
INBOX_KIND = "ehr-inbox"
INBOX_CATEGORY = {
    "system": "http://terminology.hl7.org/CodeSystem/communication-category",
    "code": "notification",
}


@dataclass(frozen=True, slots=True)
class NoteResult:
    """What happened to the note of one plan state.

    ``status``: ``written`` (new note), ``already`` (this plan's note exists: nothing written),
    ``recovered`` (an earlier answer was lost; the note was found in the EHR, not written again),
    ``pending`` (no answer and not found: the next attempt reads first), ``refused``.
    """

    status: str
    key: str
    location: str = ""
    provenance: str = ""  # written | already | "" (not offered)
    detail: str = ""

    @property
    def new(self) -> bool:
        return self.status == "written"


def plan_digest(report: PatientReport) -> str:
    """What the note says, as a digest: the plan's status and its Tasks (by business key).

    A Task never done is due "today" every day; its due date is left out so that the note
    changes only when the plan does.
    """
    parts = [careplan_description(report)]
    for rec in sorted(report.recommendations, key=lambda r: r.code):
        due = rec.due.isoformat() if rec.anchor is not None else ""
        parts.append(f"{task_identifier_value(report.patient, rec)}|{rec.priority}|{due}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


def note_key(issuer: str, patient_id: str, report: PatientReport) -> str:
    """The business key of this plan's note at this EHR."""
    server = hashlib.sha256(issuer.rstrip("/").encode()).hexdigest()[:12]
    return f"{server}.{patient_id}.{plan_digest(report)}"


def plan_text(report: PatientReport, *, where: str) -> str:
    """The plan in readable form (plain text: every EHR displays it)."""
    lines = [
        "MS monitoring plan (ms-monitor)",
        f"As of {report.as_of.isoformat()}",
        careplan_description(report),
        "",
    ]
    if report.recommendations:
        lines.append("Recommended actions:")
        for rec in report.recommendations:
            overdue = " (overdue)" if rec.overdue else ""
            lines.append(f"- {rec.code}: due {rec.due.isoformat()}{overdue}. {rec.rationale}")
    else:
        lines.append("No monitoring action is due.")
    lines += ["", f"The full plan (CarePlan and Tasks) is kept in {where}."]
    return "\n".join(lines)


def plan_note(
    report: PatientReport, *, patient_id: str, key: str, system: str, when: datetime, where: str
) -> dict[str, Any]:
    """A US Core clinical-note DocumentReference holding :func:`plan_text`."""
    text = plan_text(report, where=where)
    return {
        "resourceType": "DocumentReference",
        "identifier": [{"system": system, "value": key}],
        "status": "current",
        "docStatus": "final",
        "type": {"coding": [PLAN_NOTE_TYPE], "text": "MS monitoring plan"},
        "category": [{"coding": [NOTE_CATEGORY]}],
        "subject": {"reference": f"Patient/{patient_id}"},
        "date": when.isoformat(timespec="seconds"),
        "description": "MS monitoring plan (ms-monitor)",
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(text.encode()).decode(),
                    "title": "MS monitoring plan",
                    "creation": when.isoformat(timespec="seconds"),
                }
            }
        ],
    }


class NoteWriter:
    """Writes one plan note per plan state to an EHR, keyed in the write ledger."""

    def __init__(
        self,
        ehr: FhirClient,
        ledger: WriteLedger,
        profile: ServerProfile,
        *,
        canonical_base: str,
    ) -> None:
        self._ehr = ehr
        self._ledger = ledger
        self._profile = profile
        self._system = f"{canonical_base}/plan-note"

    def write(
        self,
        report: PatientReport,
        *,
        patient_id: str,
        link: str,
        when: datetime,
        where: str,
        provenance: dict[str, Any] | None,
    ) -> NoteResult:
        """The note of this plan state, written unless the ledger or the EHR already has it.

        ``provenance`` (a Provenance without target) is written once for the note where the EHR
        accepts a Provenance create (Oracle Health: exactly one target).
        """
        key = note_key(self._ehr.base_url, patient_id, report)
        note = plan_note(
            report, patient_id=patient_id, key=key, system=self._system, when=when, where=where
        )
        status, entry, detail = self._once(
            "DocumentReference", note, key, patient_id, link, NOTE_KIND
        )
        if entry is None:
            return NoteResult(status, key, detail=detail)
        return NoteResult(status, key, entry.location, self._provenance(entry, provenance, link))

    def inbox(
        self,
        report: PatientReport,
        *,
        patient_id: str,
        link: str,
        recipient: str,
        note: NoteResult,
        when: datetime,
    ) -> str:
        """A notification to ``recipient``'s inbox about this plan's note, once per plan change
        (Oracle Health: Communication to a practitioner, category ``notification``)."""
        if not note.location:
            return ""
        key = f"{note.key}.inbox"
        message = {
            "resourceType": "Communication",
            "identifier": [{"system": self._system, "value": key}],
            "status": "completed",
            "category": [{"coding": [INBOX_CATEGORY]}],
            "priority": "routine",
            "subject": {"reference": f"Patient/{patient_id}"},
            "recipient": [{"reference": recipient}],
            "sent": when.isoformat(timespec="seconds"),
            "payload": [
                {"contentString": f"MS monitoring plan updated: {careplan_description(report)}"},
                {"contentReference": {"reference": note.location}},
            ],
        }
        status, _entry, _detail = self._once(
            "Communication", message, key, patient_id, link, INBOX_KIND
        )
        return status

    def _once(
        self,
        rtype: str,
        body: dict[str, Any],
        key: str,
        patient_id: str,
        link: str,
        kind: str,
    ) -> tuple[str, LedgerEntry | None, str]:
        """Create ``body`` in the EHR once for ``key``: (status, committed entry, detail)."""
        entry = self._ledger.find(key)
        if entry is not None and entry.committed:
            return "already", entry, ""
        if entry is None:
            entry = self._ledger.open(key, subject=link, kind=kind)
        else:  # pending: an earlier answer was lost; read before any retry
            found = self._find_written(rtype, patient_id, key)
            if found:
                return "recovered", self._ledger.commit(entry, location=found, etag=""), ""
            if found is None:  # cannot tell: never risk a second one
                return "pending", None, "the EHR cannot be searched for it"
        try:
            answer = self._create(rtype, body, patient_id, key)
        except FhirTemporaryError as error:
            return "pending", None, str(error)
        except FhirError as error:
            return "refused", None, str(error)
        if answer is None:
            return "pending", None, "the EHR did not answer"
        location, etag, status = answer
        return status, self._ledger.commit(entry, location=location, etag=etag), ""

    def _create(
        self, rtype: str, body: dict[str, Any], patient_id: str, key: str
    ) -> tuple[str, str, str] | None:
        """POST once; after a timeout read the EHR, and retry once only if it is not there."""
        for attempt in range(2):
            try:
                answer = self._ehr.write_once("POST", rtype, body)
                return _plain(answer.location), answer.etag, "written"
            except FhirTemporaryError:
                found = self._find_written(rtype, patient_id, key)
                if found:
                    return found, "", "recovered"
                if found is None or attempt == 1:
                    return None  # stays pending: the next attempt reads first
        return None  # pragma: no cover - the loop returns

    def _find_written(self, rtype: str, patient_id: str, key: str) -> str | None:
        """What we wrote with ``key`` (``Type/id``), ``""`` when it is not there, None when
        the EHR cannot be asked (no search granted or offered)."""
        if not self._profile.can_search(rtype, ["patient"]):
            return None
        params: list[tuple[str, str]] = [("patient", patient_id)]
        if rtype == "DocumentReference" and self._profile.can_search(
            rtype, ["patient", "category"]
        ):
            params.append(("category", f"{NOTE_CATEGORY['system']}|{NOTE_CATEGORY['code']}"))
        try:
            found = list(self._ehr.search(rtype, params))
        except FhirError:
            return None
        for resource in found:
            if resource.get("resourceType") != rtype:
                continue
            for ident in resource.get("identifier") or []:
                if ident.get("system") == self._system and ident.get("value") == key:
                    return f"{rtype}/{resource.get('id')}"
        return ""

    def _find_provenance(self, target: str) -> str:
        if not self._profile.can_search("Provenance", ["target"]):
            return ""
        for resource in self._ehr.search("Provenance", [("target", target)]):
            if resource.get("resourceType") == "Provenance":
                return f"Provenance/{resource.get('id')}"
        return ""

    def _provenance(self, note: LedgerEntry, provenance: dict[str, Any] | None, link: str) -> str:
        """A single-target Provenance of the note, once (its own ledger key; a pending key
        searches the EHR for a Provenance of the note before writing)."""
        if provenance is None or not note.location:
            return ""
        if not self._profile.can_write("Provenance", "create"):
            return ""
        key = f"{note.key}.provenance"
        entry = self._ledger.find(key)
        if entry is not None and entry.committed:
            return "already"
        if entry is None:
            entry = self._ledger.open(key, subject=link, kind=PROVENANCE_KIND)
        elif found := self._find_provenance(note.location):
            self._ledger.commit(entry, location=found, etag="")
            return "already"
        body = {**provenance, "target": [{"reference": note.location}]}
        try:
            answer = self._ehr.write_once("POST", "Provenance", body)
        except FhirError:
            return ""
        self._ledger.commit(entry, location=_plain(answer.location), etag=answer.etag)
        return "written"


def _plain(location: str) -> str:
    """``http://ehr/fhir/DocumentReference/5/_history/1`` -> ``DocumentReference/5``."""
    path = location.split("/_history", 1)[0]
    parts = path.rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else path
