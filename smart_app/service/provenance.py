"""Audit of app writes: a Provenance in the same transaction as the plan it records.

https://hl7.org/fhir/R4/provenance.html: ``target`` = the resources written, ``recorded`` = now,
``agent.who`` = the user who pressed "Write plan" (the SMART ``fhirUser``) or, without one, the app
itself (an unattended run). The application service adds it on every write path (a launch,
``ms-monitor run``, a queue job, a population run; the domain has no clock and no user), and only
when the transaction writes something: an up-to-date plan gets no Provenance.

A reference that does not resolve sinks the whole transaction (HAPI-1094), and the ``fhirUser``
Practitioner lives on the EHR, not on ms-monitor's plan store: the agent is the ``fhirUser``
reference only where it resolves on the server written to; otherwise it is an identifier (the
issuer as system, the ``fhirUser`` as value) with a display (:func:`author_who`).
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


def author_who(fhir_user: str | None, *, issuer: str | None, resolves: bool) -> dict[str, Any]:
    """``agent.who``: the user's reference where it resolves on the target, else an identifier."""
    if not fhir_user:
        return {"display": APP_NAME}
    if resolves:
        return {"reference": fhir_user}
    return {
        "identifier": {"system": (issuer or "urn:ietf:rfc:3986").rstrip("/"), "value": fhir_user},
        "display": f"{fhir_user} (signed in through {issuer or 'the EHR'})",
    }


def provenance_resource(
    targets: list[str], *, who: dict[str, Any], user: bool, recorded: datetime
) -> dict[str, Any]:
    """A validated R4 Provenance of ``targets`` (empty: the caller adds the one target)."""
    agents: list[dict[str, Any]] = [
        {
            "type": {"coding": [{"system": _PARTICIPANT, "code": "author"}]},
            "who": who,
        }
    ]
    if user:
        agents.append(
            {
                "type": {"coding": [{"system": _PARTICIPANT, "code": "assembler"}]},
                "who": {"display": APP_NAME},
            }
        )
    provenance = Provenance.model_validate(
        {
            "resourceType": "Provenance",
            "target": [{"reference": ref} for ref in targets or ["urn:uuid:0"]],
            "recorded": recorded.isoformat(),
            "activity": {"coding": [{"system": _ACTIVITY, "code": "UPDATE"}]},
            "agent": agents,
        }
    ).model_dump(mode="json", exclude_none=True)
    if not targets:
        provenance.pop("target")
    return provenance


def with_provenance(
    bundle: dict[str, Any],
    *,
    fhir_user: str | None,
    recorded: datetime,
    issuer: str | None = None,
    user_resolves: bool = True,
) -> dict[str, Any]:
    """A copy of the transaction ``bundle`` with one Provenance entry appended (if it writes).

    ``user_resolves`` False: the ``fhirUser`` is not on the server written to (see
    :func:`author_who`)."""
    targets = written_targets(bundle)
    if not targets:
        return bundle
    who = author_who(fhir_user, issuer=issuer, resolves=user_resolves)
    provenance = provenance_resource(targets, who=who, user=bool(fhir_user), recorded=recorded)
    entry = {
        "fullUrl": f"urn:uuid:{uuid.uuid4()}",
        "resource": provenance,
        "request": {"method": "POST", "url": "Provenance"},
    }
    return {**bundle, "entry": [*(bundle.get("entry") or []), entry]}
