"""Audit of app writes: a Provenance in the same transaction as the plan it records.

https://hl7.org/fhir/R4/provenance.html: ``target`` = the resources written, ``recorded`` = now,
``agent.who`` = the user who pressed "Write plan" (the SMART ``fhirUser``) or, without one, the app
itself (an unattended run). The application service adds it on every write path (a launch,
``ms-monitor run``, a queue job, a population run; the domain has no clock and no user), and only
when the transaction writes something: an up-to-date plan gets no Provenance.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fhir.resources.R4B.provenance import Provenance

APP_NAME = "ms-monitor (SMART on FHIR app)"
_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
_ACTIVITY = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"


def written_targets(bundle: dict[str, Any]) -> list[str]:
    """References to what a transaction writes: ``urn:uuid:`` of creates, ``Type/id`` of PUTs."""
    targets = []
    for entry in bundle.get("entry") or []:
        request = entry.get("request") or {}
        if request.get("method") == "POST" and entry.get("fullUrl"):
            targets.append(str(entry["fullUrl"]))
        elif request.get("method") in {"PUT", "PATCH"} and request.get("url"):
            targets.append(str(request["url"]).split("?", 1)[0])
    return targets


def with_provenance(
    bundle: dict[str, Any], *, fhir_user: str | None, recorded: datetime
) -> dict[str, Any]:
    """A copy of the transaction ``bundle`` with one Provenance entry appended (if it writes)."""
    targets = written_targets(bundle)
    if not targets:
        return bundle
    who: dict[str, Any] = {"reference": fhir_user} if fhir_user else {"display": APP_NAME}
    agents: list[dict[str, Any]] = [
        {
            "type": {"coding": [{"system": _PARTICIPANT, "code": "author"}]},
            "who": who,
        }
    ]
    if fhir_user:
        agents.append(
            {
                "type": {"coding": [{"system": _PARTICIPANT, "code": "assembler"}]},
                "who": {"display": APP_NAME},
            }
        )
    provenance = Provenance.model_validate(
        {
            "resourceType": "Provenance",
            "target": [{"reference": ref} for ref in targets],
            "recorded": recorded.isoformat(),
            "activity": {"coding": [{"system": _ACTIVITY, "code": "UPDATE"}]},
            "agent": agents,
        }
    ).model_dump(mode="json", exclude_none=True)
    entry = {
        "fullUrl": f"urn:uuid:{uuid.uuid4()}",
        "resource": provenance,
        "request": {"method": "POST", "url": "Provenance"},
    }
    return {**bundle, "entry": [*(bundle.get("entry") or []), entry]}
