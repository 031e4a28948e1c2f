"""ms-monitor's own plan store: where the plan lives when the EHR does not accept it.

No production EHR lets an app create CarePlan or Task (Epic, Oracle Health, athenahealth,
MEDITECH), so the plan is kept in a HAPI FHIR server that belongs to the app
(``MS_MONITOR_PLAN_STORE_URL``). Each EHR patient gets a *Patient link*: a Patient in the store
whose only content is the identifier ``{system: EHR issuer, value: EHR patient id}``, created
with a conditional create (HAPI supports it). The plan (CarePlan, Tasks, Provenance) is the same
transaction the EHR target gets, with its references moved into the store's terms:

* ``Patient/{ehr id}`` -> ``Patient/{link id}``;
* the EHR's evidence (``Observation/x``) -> an absolute reference ``{issuer}/Observation/x``;
* ``ifNoneExist`` gains ``patient=Patient/{link id}`` (two EHRs may share a patient id).

Reading the plan back applies the inverse, so the engine's reconciliation (matching by business
identifier, comparing managed fields) is exactly the one used against an EHR.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smart_app.fhir import FhirClient
from smart_app.fhir.patient_record import PlanSystems, read_plan_only

#: Types that live in the store itself (their references are store references).
_STORE_TYPES = ("CarePlan/", "Task/", "Provenance/", "Basic/", "urn:")


@dataclass(frozen=True, slots=True)
class PatientLink:
    """The store's Patient standing for one EHR patient."""

    issuer: str
    ehr_patient: str
    link_id: str

    @property
    def reference(self) -> str:
        return f"Patient/{self.link_id}"

    def to_store(self, reference: str) -> str:
        """An EHR-side reference as the store keeps it."""
        if reference == f"Patient/{self.ehr_patient}":
            return self.reference
        if reference.startswith(("http://", "https://", *_STORE_TYPES)) or "/" not in reference:
            return reference
        return f"{self.issuer}/{reference}"

    def from_store(self, reference: str) -> str:
        """A store reference in the EHR's terms (the inverse of :meth:`to_store`)."""
        if reference == self.reference:
            return f"Patient/{self.ehr_patient}"
        prefix = f"{self.issuer}/"
        return reference[len(prefix) :] if reference.startswith(prefix) else reference


def link_patient(store: FhirClient, issuer: str, ehr_patient: str) -> PatientLink:
    """The Patient link of ``ehr_patient`` at ``issuer`` (created once: conditional create)."""
    issuer = issuer.rstrip("/")
    query = f"identifier={issuer}|{ehr_patient}"
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": issuer, "value": ehr_patient}],
                    "active": True,
                },
                "request": {"method": "POST", "url": "Patient", "ifNoneExist": query},
            }
        ],
    }
    answer = store.transaction(bundle)
    location = str(((answer.get("entry") or [{}])[0].get("response") or {}).get("location", ""))
    link_id = location.split("/_history", 1)[0].rsplit("/", 1)[-1]
    return PatientLink(issuer, ehr_patient, link_id)


def translate(value: Any, move: Callable[[str], str]) -> Any:
    """``value`` with every ``reference`` (and ``Task.for``-style ones) moved by ``move``."""
    if isinstance(value, list):
        return [translate(item, move) for item in value]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                out[key] = move(item)
            else:
                out[key] = translate(item, move)
        return out
    return value


def read_stored_plan(
    store: FhirClient, link: PatientLink, systems: PlanSystems
) -> list[dict[str, Any]]:
    """Our CarePlan and Tasks for this patient, in the EHR's terms (for reconciliation)."""
    stored = read_plan_only(store, link.link_id, systems)
    return [translate(resource, link.from_store) for resource in stored]


def store_transaction(bundle: dict[str, Any], link: PatientLink) -> dict[str, Any]:
    """The plan transaction as the store takes it: references moved, creates scoped."""
    entries = []
    for entry in bundle.get("entry") or []:
        moved = dict(entry)
        moved["resource"] = translate(entry.get("resource"), link.to_store)
        request = dict(entry.get("request") or {})
        if request.get("ifNoneExist") and request.get("url") in ("CarePlan", "Task"):
            request["ifNoneExist"] = f"{request['ifNoneExist']}&patient={link.reference}"
        moved["request"] = request
        entries.append(moved)
    return {**bundle, "entry": entries}
