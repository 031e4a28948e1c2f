"""Which FHIR requests a token may make: scopes per interaction and the patient compartment.

Pure (no HTTP): the proxy passes a ``fetch_existing`` callback for the one check that needs the
server (does the resource being overwritten or deleted belong to the token's patient?).

The rules, pragmatic but on the safe side (https://hl7.org/fhir/smart-app-launch/scopes-and-
launch-context.html): read/vread/history need ``r``, search ``s``, create ``c``, update ``u``,
delete ``d``; operations need ``r``. With only ``patient/`` scopes for a type, every search gets
``patient=Patient/{id}`` added (FHIR ANDs parameters), a different ``patient``/``subject`` value
is refused, bodies must reference the patient, and every response is filtered again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from launch.sandbox.scopes import ScopeDecision, decide

# Types of the Patient compartment that the sandbox guards; each has a ``patient`` search param.
COMPARTMENT_TYPES = frozenset(
    {
        "AllergyIntolerance",
        "Appointment",
        "CarePlan",
        "CareTeam",
        "ClinicalImpression",
        "Communication",
        "Composition",
        "Condition",
        "Consent",
        "Coverage",
        "DetectedIssue",
        "Device",
        "DiagnosticReport",
        "DocumentReference",
        "Encounter",
        "EpisodeOfCare",
        "FamilyMemberHistory",
        "Flag",
        "Goal",
        "ImagingStudy",
        "Immunization",
        "List",
        "Media",
        "MedicationAdministration",
        "MedicationDispense",
        "MedicationRequest",
        "MedicationStatement",
        "Observation",
        "Procedure",
        "QuestionnaireResponse",
        "RiskAssessment",
        "ServiceRequest",
        "Specimen",
        "Task",
    }
)
LINK_FIELDS = ("subject", "patient", "for", "beneficiary")
PATIENT_PARAMS = ("patient", "subject")

FetchExisting = Callable[[str, str], dict[str, Any] | None]


class Refused(Exception):
    """The request is not allowed: answered with ``status`` and an OperationOutcome."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Grant:
    """What one access token may do."""

    scopes: frozenset[str]
    patient: str | None

    def decision(self, resource_type: str, permission: str) -> ScopeDecision:
        found = decide(self.scopes, resource_type, permission)
        if found.patient_only and not self.patient:
            return ScopeDecision(allowed=False, patient_only=False)  # patient scope, no patient
        return found


@dataclass(frozen=True, slots=True)
class Target:
    """A FHIR request path, classified."""

    resource_type: str | None
    resource_id: str | None
    permission: str | None  # c r u d s; None for paging and capability
    interaction: str
    compartment_owner: str | None = None  # Patient/{id}/Type compartment searches


@dataclass(slots=True)
class Checked:
    """The request to forward, after the checks (query possibly narrowed)."""

    path: str
    query: list[tuple[str, str]]
    body: Any = None
    if_none_exist: str | None = None
    warnings: list[str] = field(default_factory=list)


def classify(method: str, path: str, query: Iterable[tuple[str, str]] = ()) -> Target:
    """The interaction a method and path mean (https://hl7.org/fhir/R4/http.html)."""
    parts = [p for p in path.strip("/").split("/") if p]
    params = dict(query)
    if not parts:
        if method == "GET" and "_getpages" in params:
            return Target(None, None, None, "page")
        if method == "POST":
            return Target(None, None, None, "bundle")
        raise Refused("system-level interactions are not supported by the sandbox", 400)
    if parts == ["metadata"]:
        return Target(None, None, None, "capabilities")
    rtype = parts[0]
    if not rtype[:1].isupper():
        raise Refused(f"unknown resource type {rtype!r}", 400)
    if len(parts) == 1:
        if method == "GET":
            return Target(rtype, None, "s", "search")
        if method == "POST":
            return Target(rtype, None, "c", "create")
        if method in ("PUT", "PATCH"):
            return Target(rtype, None, "u", "conditional-update")
        if method == "DELETE":
            return Target(rtype, None, "d", "conditional-delete")
    rid = parts[1]
    if rid == "_search" and method == "POST" and len(parts) == 2:
        return Target(rtype, None, "s", "search")
    if rid == "_history":
        return Target(rtype, None, "s", "history-type")
    if rid.startswith("$"):
        return Target(rtype, None, "r", "operation")
    if len(parts) == 2:
        by_method = {
            "GET": ("r", "read"),
            "PUT": ("u", "update"),
            "PATCH": ("u", "patch"),
            "DELETE": ("d", "delete"),
        }
        if method in by_method:
            permission, interaction = by_method[method]
            return Target(rtype, rid, permission, interaction)
    elif parts[2] == "_history" and method == "GET":
        return Target(rtype, rid, "r", "history-instance")
    elif parts[2].startswith("$"):
        return Target(rtype, rid, "r", "operation")
    elif rtype == "Patient" and len(parts) == 3 and method == "GET":
        return Target(parts[2], None, "s", "search", compartment_owner=rid)
    raise Refused(f"{method} {path} is not supported by the sandbox", 400)


def is_patient_ref(reference: Any, patient: str) -> bool:
    """``Patient/{id}``, absolute or relative, with or without ``/_history/n``."""
    if not isinstance(reference, str):
        return False
    ref = reference.split("/_history/")[0]
    return ref == f"Patient/{patient}" or ref.endswith(f"/Patient/{patient}")


def belongs_to(resource: dict[str, Any], patient: str) -> bool:
    """Whether a resource is in the patient's compartment (or outside any compartment)."""
    rtype = resource.get("resourceType")
    if rtype == "Patient":
        return resource.get("id") == patient
    if rtype not in COMPARTMENT_TYPES:
        return True
    references = [resource.get(name) for name in LINK_FIELDS]
    references += [p.get("actor") for p in resource.get("participant") or [] if isinstance(p, dict)]
    return any(
        is_patient_ref(ref.get("reference"), patient) for ref in references if isinstance(ref, dict)
    )


def check_request(
    grant: Grant,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    body: Any,
    *,
    fetch_existing: FetchExisting,
    if_none_exist: str | None = None,
) -> Checked:
    """Scope and compartment checks for one request; raises :class:`Refused`."""
    target = classify(method, path, query)
    if target.interaction == "bundle":
        return Checked(path, query, body=check_bundle(grant, body, fetch_existing=fetch_existing))
    if target.interaction in ("page", "capabilities"):
        return Checked(path, query, body)  # pages are filtered on the way back
    assert target.resource_type is not None
    assert target.permission is not None
    decision = grant.decision(target.resource_type, target.permission)
    if not decision.allowed:
        raise Refused(
            f"no granted scope allows {target.interaction} of {target.resource_type} "
            f"(needs '{target.permission}')"
        )
    checked = Checked(path, list(query), body, if_none_exist)
    if decision.patient_only:
        assert grant.patient is not None
        _check_compartment(grant.patient, method, target, checked, fetch_existing)
    return checked


def _check_compartment(
    patient: str, method: str, target: Target, checked: Checked, fetch_existing: FetchExisting
) -> None:
    rtype, rid = target.resource_type, target.resource_id
    assert rtype is not None
    outside = rtype != "Patient" and rtype not in COMPARTMENT_TYPES
    if target.compartment_owner is not None and target.compartment_owner != patient:
        raise Refused("this token is limited to another patient")
    if target.interaction == "patch":
        raise Refused("PATCH is not supported for patient-scoped tokens by the sandbox")
    if outside:
        if target.permission in ("c", "u", "d"):
            raise Refused(f"a patient-scoped token cannot write {rtype} (not patient data)")
        return
    if rid is not None:
        if rtype == "Patient" and rid != patient:
            raise Refused("this token is limited to another patient")
        if method in ("PUT", "DELETE") and rtype != "Patient":
            existing = fetch_existing(rtype, rid)
            if existing is not None and not belongs_to(existing, patient):
                raise Refused(f"{rtype}/{rid} belongs to another patient")
    narrowed = ("search", "conditional-update", "conditional-delete", "operation")
    if target.interaction in narrowed and rid is None:
        checked.query = narrow_query(rtype, checked.query, patient)
    if target.permission in ("c", "u") and target.interaction != "patch":
        _check_body(checked.body, rtype, patient)
    if checked.if_none_exist:
        checked.if_none_exist = narrow_condition(rtype, checked.if_none_exist, patient)


def _check_body(body: Any, rtype: str, patient: str) -> None:
    if not isinstance(body, dict) or body.get("resourceType") != rtype:
        raise Refused(f"the body must be a {rtype}", 400)
    if not belongs_to(body, patient):
        raise Refused(f"the {rtype} must reference Patient/{patient}")


def narrow_query(rtype: str, query: list[tuple[str, str]], patient: str) -> list[tuple[str, str]]:
    """Add the compartment parameter; refuse a different patient/subject/_id value."""
    own_param = "_id" if rtype == "Patient" else "patient"
    for key, value in query:
        name = key.split(":")[0]
        if name in (*PATIENT_PARAMS, "_id") and (name != "_id" or rtype == "Patient"):
            values = value.split(",")
            if not all(v == patient or is_patient_ref(v, patient) for v in values):
                raise Refused("this token is limited to another patient")
    own = patient if own_param == "_id" else f"Patient/{patient}"
    return [*query, (own_param, own)]


def narrow_condition(rtype: str, condition: str, patient: str) -> str:
    """A conditional URL (``identifier=...``) restricted to the patient's resources."""
    query = narrow_query(rtype, parse_qsl(condition.split("?", 1)[-1]), patient)
    return urlencode(query)


def check_bundle(grant: Grant, bundle: Any, *, fetch_existing: FetchExisting) -> Any:
    """Check each entry of a batch/transaction as if it were its own request."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise Refused("POST to the base needs a batch or transaction Bundle", 400)
    if bundle.get("type") not in ("batch", "transaction"):
        raise Refused("only batch and transaction Bundles can be posted to the base", 400)
    entries = []
    written_here = _written_references(bundle)
    for index, entry in enumerate(bundle.get("entry") or []):
        request = entry.get("request") or {}
        method = str(request.get("method", "")).upper()
        url = str(request.get("url", ""))
        path, _, raw_query = url.partition("?")
        if _audits_only(grant, method, entry.get("resource"), written_here):
            entries.append(entry)
            continue
        try:
            checked = check_request(
                grant,
                method,
                path,
                parse_qsl(raw_query, keep_blank_values=True),
                entry.get("resource"),
                fetch_existing=fetch_existing,
                if_none_exist=request.get("ifNoneExist"),
            )
        except Refused as refused:
            raise Refused(f"entry {index} ({method} {url}): {refused}", refused.status) from None
        if checked.path == "" or checked.path.startswith("/"):
            raise Refused(f"entry {index}: nested Bundles are not allowed", 400)
        new_request = {**request, "url": _url(checked.path, checked.query)}
        if checked.if_none_exist:
            new_request["ifNoneExist"] = checked.if_none_exist
        entries.append({**entry, "request": new_request})
    return {**bundle, "entry": entries}


def _written_references(bundle: dict[str, Any]) -> set[str]:
    """``fullUrl`` and ``Type/id`` of what the other entries of this Bundle write."""
    refs: set[str] = set()
    for entry in bundle.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        request = entry.get("request") or {}
        if request.get("method") in ("POST", "PUT") and entry.get("fullUrl"):
            refs.add(str(entry["fullUrl"]))
        if request.get("method") == "PUT":
            refs.add(str(request.get("url", "")).split("?", 1)[0])
    return refs


def _audits_only(grant: Grant, method: str, resource: Any, written_here: set[str]) -> bool:
    """A Provenance (create) whose targets are all written by the same transaction: it is in the
    patient's compartment exactly when they are, and each of them is checked on its own."""
    if method != "POST" or not isinstance(resource, dict):
        return False
    if resource.get("resourceType") != "Provenance":
        return False
    if not grant.decision("Provenance", "c").allowed:
        return False
    targets = [t.get("reference") for t in resource.get("target") or [] if isinstance(t, dict)]
    return bool(targets) and all(t in written_here for t in targets)


def _url(path: str, query: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(query)}" if query else path


def visible(grant: Grant, resource: dict[str, Any]) -> bool:
    """Whether a resource in a response may be shown to the token's holder."""
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or rtype in ("OperationOutcome", "Bundle"):
        return True
    decisions = [grant.decision(rtype, p) for p in ("r", "s")]
    if not any(d.allowed for d in decisions):
        return False
    if all(d.patient_only for d in decisions if d.allowed):
        assert grant.patient is not None
        return belongs_to(resource, grant.patient)
    return True


def filter_response(grant: Grant, resource: Any) -> Any:
    """Drop what the token may not see from a response (recursively through Bundles)."""
    if not isinstance(resource, dict):
        return resource
    if resource.get("resourceType") != "Bundle":
        if not visible(grant, resource):
            raise Refused("the resource is outside the token's scopes or patient")
        return resource
    response_bundle = resource.get("type") in ("batch-response", "transaction-response")
    kept = []
    for entry in resource.get("entry") or []:
        inner = entry.get("resource")
        if isinstance(inner, dict) and inner.get("resourceType") == "Bundle":
            kept.append({**entry, "resource": filter_response(grant, inner)})
        elif not isinstance(inner, dict) or visible(grant, inner):
            kept.append(entry)
        elif response_bundle:
            kept.append({"response": {"status": "403 Forbidden", "outcome": outcome("forbidden")}})
    return {**resource, "entry": kept} if "entry" in resource else resource


def outcome(message: str, code: str = "forbidden") -> dict[str, Any]:
    """An OperationOutcome for a refusal."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": message}],
    }
