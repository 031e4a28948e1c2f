"""R4 rest-hook Subscriptions that tell ms-monitor when a patient's MS data changes.

https://hl7.org/fhir/R4/subscription.html: the server POSTs/PUTs the changed resource
(``payload`` application/fhir+json) to our webhook with the ``header`` we register (a Bearer
shared secret). One Subscription per type the engine reads (docs/clinical-rules.md, Inputs):
EDSS, MRI-finding, JCV and symptom-score Observations, MR ImagingStudies, brain-MRI
DiagnosticReports, relapse Conditions, DMT MedicationRequests/Statements/Administrations.
Registration is idempotent: a Subscription with the same criteria and endpoint is reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smart_app.domain import Terminology
from smart_app.domain.reads import clinical_types
from smart_app.fhir import FhirClient

REASON = "ms-monitor: keep benign-MS care plans current"
PAYLOAD = "application/fhir+json"


def _codes(codings: frozenset[tuple[str, str]]) -> str:
    return ",".join(f"{system}|{code}" for system, code in sorted(codings))


def _filters(terminology: Terminology) -> dict[str, str]:
    """Per input type, the search that narrows it to what the rules use."""
    observations = (
        terminology.edss
        | terminology.new_t2_lesions
        | terminology.gd_lesions
        | terminology.jcv_antibody
        | terminology.mfis
        | terminology.sdmt
    )
    dmt = _codes(frozenset((terminology.rxnorm_system, d.rxnorm) for d in terminology.dmt))
    return {
        "Condition": f"code={_codes(terminology.relapse)}",
        "Observation": f"code={_codes(observations)}",
        "ImagingStudy": f"modality={_codes(terminology.mri_modality)}",
        "MedicationRequest": f"code={dmt}",
        "MedicationStatement": f"code={dmt}",
        "MedicationAdministration": f"code={dmt}",
        "DiagnosticReport": f"code={_codes(terminology.brain_mri_procedure)}",
    }


def subscription_criteria(terminology: Terminology) -> list[str]:
    """The searches whose matches should refresh a patient's plan: one per type the engine
    reads (smart_app.domain.reads), narrowed to the codes the rules use."""
    filters = _filters(terminology)
    return [f"{kind}?{filters[kind]}" for kind in clinical_types()]


@dataclass(frozen=True, slots=True)
class Registered:
    criteria: str
    subscription_id: str
    action: str  # created | reused | updated


def subscription_resource(criteria: str, endpoint: str, secret: str) -> dict[str, Any]:
    return {
        "resourceType": "Subscription",
        "status": "requested",
        "reason": REASON,
        "criteria": criteria,
        "channel": {
            "type": "rest-hook",
            "endpoint": endpoint,
            "payload": PAYLOAD,
            "header": [f"Authorization: Bearer {secret}"],
        },
    }


def register_subscriptions(
    client: FhirClient, *, endpoint: str, secret: str, terminology: Terminology
) -> list[Registered]:
    """Create the missing Subscriptions; reuse (or repair) the ones already there."""
    existing = [
        s
        for s in client.search("Subscription", {"url": endpoint, "_count": "100"})
        if s.get("resourceType") == "Subscription"
    ]
    results = []
    for criteria in subscription_criteria(terminology):
        wanted = subscription_resource(criteria, endpoint, secret)
        match = next((s for s in existing if _same_target(s, criteria, endpoint)), None)
        if match is None:
            created = client.create(wanted)
            results.append(Registered(criteria, str(created.get("id")), "created"))
        elif _healthy(match, secret):
            results.append(Registered(criteria, str(match["id"]), "reused"))
        else:
            client.update({**wanted, "id": match["id"]})
            results.append(Registered(criteria, str(match["id"]), "updated"))
    return results


def _same_target(subscription: dict[str, Any], criteria: str, endpoint: str) -> bool:
    channel = subscription.get("channel") or {}
    return bool(subscription.get("criteria") == criteria and channel.get("endpoint") == endpoint)


def _healthy(subscription: dict[str, Any], secret: str) -> bool:
    """Active (or about to be), sending the current secret and the resource as payload."""
    channel = subscription.get("channel") or {}
    return (
        subscription.get("status") in ("requested", "active")
        and channel.get("payload") == PAYLOAD
        and f"Authorization: Bearer {secret}" in (channel.get("header") or [])
    )
