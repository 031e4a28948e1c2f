"""The mechanics of an emulated EHR: one :class:`EhrProfile` applied to HAPI's answers.

The proxy has already checked the token, its scopes and the patient compartment
(:mod:`launch.sandbox.access`); here the request meets the vendor's rules (types offered,
required parameters, batch, writes, If-Match), the answer is read in full from HAPI, reshaped
to the vendor's charts (:mod:`.shapes`), filtered by the parameters the vendor applies
(:mod:`.matching`) and paged the vendor's way (:mod:`.paging`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import requests
from flask import Response

from launch.sandbox.access import Grant, visible
from launch.sandbox.ehr import shapes
from launch.sandbox.ehr.matching import APPLIED_HERE, RESULT_PARAMS, select
from launch.sandbox.ehr.paging import (
    PAGE_PARAM,
    HeldPage,
    PageStore,
    page_size,
    page_token,
    searchset,
)
from launch.sandbox.ehr.profile import CREATE, READ, SEARCH, UPDATE, EhrProfile, Refusal
from launch.sandbox.ehr.render import FHIR_JSON, outcome, refusal_response

Upstream = Callable[..., requests.Response]
Resource = dict[str, Any]
UPSTREAM_PAGE = "1000"
NOT_FOUND = Refusal(404, "fhir", "Resource not found", code="not-found")
FOREIGN_READ_ONLY = Refusal(403, "fhir", "This record belongs to another application", "forbidden")


class Emulator:
    """Answers FHIR requests as ``profile``'s vendor would, from the HAPI server ``upstream``."""

    def __init__(
        self,
        profile: EhrProfile,
        upstream: Upstream,
        *,
        upstream_base: str,
        fhir_base: str,
        pages: PageStore | None = None,
        foreign_writes: list[str] | None = None,
    ) -> None:
        self.profile = profile
        self._upstream = upstream
        self._upstream_base = upstream_base
        self._fhir_base = fhir_base
        self._pages = pages or PageStore()
        self._medications: dict[str, Resource] = {}
        self._lock = threading.Lock()
        #: attempted writes to another app's resources (tests assert it stays empty)
        self.foreign_writes = foreign_writes if foreign_writes is not None else []

    # -- entry point ----------------------------------------------------------------------------
    def handle(
        self,
        grant: Grant,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        body: Any,
        headers: dict[str, str],
    ) -> Response:
        parts = [p for p in path.strip("/").split("/") if p]
        if not parts:
            refusal = self.profile.batch_refusal
            return refusal_response(refusal or self.profile.unsupported_write)
        rtype = parts[0]
        rule = self.profile.rule(rtype)
        if rule is None:
            return refusal_response(self.profile.unknown_type)
        if (len(parts) == 1 and method == "GET") or parts[1:] == ["_search"]:
            if SEARCH not in rule.interactions:
                return refusal_response(self.profile.unknown_type)
            if rule.refused is not None:
                return refusal_response(rule.refused)
            return self._search(grant, rtype, query)
        if len(parts) == 1 and method == "POST":
            return self._create(rtype, body, headers)
        if len(parts) == 2 and method == "GET" and not parts[1].startswith(("$", "_")):
            if READ not in rule.interactions:
                return refusal_response(self.profile.unknown_type)
            return self._read(grant, rtype, parts[1])
        if len(parts) == 2 and method == "PUT":
            return self._update(rtype, parts[1], body, headers)
        return refusal_response(self.profile.unsupported_write, f"({method} {rtype})")

    # -- search ---------------------------------------------------------------------------------
    def _search(self, grant: Grant, rtype: str, query: list[tuple[str, str]]) -> Response:
        rule = self.profile.types[rtype]
        token = page_token(self.profile, query)
        if token is not None:
            held = self._pages.take(token)
            if held is None or held.resource_type != rtype:
                return self._fhir(410, outcome("the search session has expired", "expired"))
            if grant.patient is not None and held.patient != grant.patient:
                return self._fhir(403, outcome("this page belongs to another patient", "forbidden"))
            return self._json(searchset(self.profile, self._pages, self._fhir_base, held, []))
        names = {k.split(":")[0] for k, _v in query}
        if rule.required and not any(alt <= names for alt in rule.required):
            assert rule.missing_required is not None
            return refusal_response(rule.missing_required)
        for name, allowed in rule.required_values.items():
            values = [v.rsplit("|", 1)[-1] for k, v in query if k == name]
            if not values or not all(v in allowed for v in values):
                assert rule.missing_required is not None
                return refusal_response(rule.missing_required)
        patient = _patient_of(query) or grant.patient
        found = select(self._collect(rtype, query, patient), query, rule.ignored_params)
        found = [r for r in found if visible(grant, r)]
        entries = [self._entry(r, "match") for r in found]
        if ("_include", "MedicationRequest:medication") in query:
            meds = {m["id"]: m for m in self._included_medications(found)}
            entries += [self._entry(m, "include") for m in meds.values() if visible(grant, m)]
        outcomes = self._outcomes(rule.search_params, names, bool(found))
        size = page_size(self.profile, rule, query, len(entries))
        page = HeldPage(rtype, tuple(entries), 0, size, patient, 0.0)
        return self._json(searchset(self.profile, self._pages, self._fhir_base, page, outcomes))

    def _outcomes(self, declared: tuple[str, ...], names: set[str], found: bool) -> list[Resource]:
        if not self.profile.outcome_entries:
            return []
        issues = []
        known = {*declared, *RESULT_PARAMS, "patient", "subject", "_id"}
        for name in sorted(names - known - set(PAGE_PARAM.values())):
            issues.append(outcome(f"Parameter {name} was ignored.", "informational", "information"))
        if not found:
            issues.append(outcome("No resources found.", "informational", "information", "4101"))
        return [{"resource": o, "search": {"mode": "outcome"}} for o in issues]

    def _collect(
        self, rtype: str, query: list[tuple[str, str]], patient: str | None
    ) -> list[Resource]:
        """The vendor-shaped resources of ``rtype`` for the search, before the applied filters."""
        shape = self.profile.shapes
        # HAPI gets the declared parameters the emulator does not apply itself; undeclared ones
        # are ignored, as the vendors do (Epic says so in an OperationOutcome entry).
        declared = {*self.profile.types[rtype].search_params, "patient", "subject", "_id"}
        passed = [
            (k, v)
            for k, v in query
            if k.split(":")[0] in declared
            and (rtype == "Patient" or k.split(":")[0] not in APPLIED_HERE)
        ]
        own = list(self._upstream_all(rtype, passed))
        if rtype == "Observation":
            return [o for o in (shapes.observation(shape, r) for r in own) if o is not None]
        if rtype == "MedicationRequest":
            found = [self._shaped_request(r) for r in own]
            if shape.statements_as_requests:
                statements = self._upstream_all("MedicationStatement", _patient_only(passed))
                found += [self._shaped_request(s) for s in statements]
            return found
        if rtype == "DiagnosticReport" and shape.mri_as_report:
            studies = list(self._upstream_all("ImagingStudy", _patient_only(passed)))
            return own + self._reports(studies)
        if rtype in ("CarePlan", "Task") and shape.foreign_plans and patient:
            return own + [r for r in shapes.foreign_plans(patient) if r["resourceType"] == rtype]
        return own

    def _reports(self, studies: list[Resource]) -> list[Resource]:
        shape = self.profile.shapes
        mr = [s for s in studies if _is_mr(s)]
        results: dict[str, list[str]] = {}
        if mr:
            refs = ",".join(f"ImagingStudy/{s['id']}" for s in mr)
            for obs in self._upstream_all("Observation", [("derived-from", refs)]):
                if shapes.observation(shape, obs) is None:
                    continue  # not exposed by this vendor: no dangling result reference
                for ref in obs.get("derivedFrom") or []:
                    target = str(ref.get("reference", "")) if isinstance(ref, dict) else ""
                    results.setdefault(target, []).append(f"Observation/{obs['id']}")
        return [
            shapes.report_from_study(shape, s, results.get(f"ImagingStudy/{s['id']}", []))
            for s in mr
        ]

    def _included_medications(self, requests_found: list[Resource]) -> list[Resource]:
        wanted = []
        for request in requests_found:
            ref = str((request.get("medicationReference") or {}).get("reference", ""))
            med = self._medication(ref.removeprefix("Medication/")) if ref else None
            if med is not None:
                wanted.append(med)
        return wanted

    def _medication(self, med_id: str) -> Resource | None:
        """A Medication an order referenced (remembered when the order was served); an RxNorm
        one also before that, with its code only."""
        with self._lock:
            found = self._medications.get(med_id)
        if found is None and med_id.startswith("rxnorm-"):
            code = med_id.removeprefix("rxnorm-")
            concept = {"coding": [{"system": shapes.RXNORM, "code": code}]}
            return shapes.medication(concept)
        return found

    # -- read -----------------------------------------------------------------------------------
    def _read(self, grant: Grant, rtype: str, rid: str) -> Response:
        found = self._read_shaped(rtype, rid)
        if found is None:
            return refusal_response(NOT_FOUND, f"({rtype}/{rid})")
        if not visible(grant, found):
            return self._fhir(403, outcome("outside the token's scopes or patient", "forbidden"))
        return self._json(found)

    def _read_shaped(self, rtype: str, rid: str) -> Resource | None:
        shape = self.profile.shapes
        if shapes.is_foreign(rid):
            if not shape.foreign_plans:
                return None
            return next((r for r in _foreign_by_id(rid) if r["id"] == rid), None)
        if rtype == "Medication":
            return self._medication(rid)
        if rtype == "DiagnosticReport" and rid.startswith(shapes.REPORT_PREFIX):
            study = self._upstream_read("ImagingStudy", rid.removeprefix(shapes.REPORT_PREFIX))
            return self._reports([study])[0] if study and _is_mr(study) else None
        if rtype == "MedicationRequest" and rid.startswith(shapes.STATEMENT_PREFIX):
            statement = self._upstream_read(
                "MedicationStatement", rid.removeprefix(shapes.STATEMENT_PREFIX)
            )
            return self._shaped_request(statement) if statement else None
        found = self._upstream_read(rtype, rid)
        if found is None:
            return None
        if rtype == "Observation":
            return shapes.observation(shape, found)
        if rtype == "MedicationRequest":
            return self._shaped_request(found)
        return found

    def _shaped_request(self, resource: Resource) -> Resource:
        """A MedicationRequest (or a MedicationStatement turned into one) in the vendor's shape;
        the Medication it references is remembered, to be included and read by id later."""
        shape = self.profile.shapes
        if resource.get("resourceType") == "MedicationStatement":
            shaped, med = shapes.request_from_statement(shape, resource)
        else:
            shaped, med = shapes.medication_request(shape, resource)
        if med is not None:
            with self._lock:
                self._medications[med["id"]] = med
        return shaped

    # -- writes ---------------------------------------------------------------------------------
    def _create(self, rtype: str, body: Any, headers: dict[str, str]) -> Response:
        if not self.profile.offers(rtype, CREATE):
            return refusal_response(self.profile.unsupported_write, f"(create {rtype})")
        prefer = "return=minimal" if self.profile.empty_create_body else "return=representation"
        answer = self._upstream(
            "POST",
            rtype,
            data=json.dumps(body),
            headers={"Content-Type": FHIR_JSON, "Accept": FHIR_JSON, "Prefer": prefer},
        )
        return self._relay_write(answer)

    def _update(self, rtype: str, rid: str, body: Any, headers: dict[str, str]) -> Response:
        if shapes.is_foreign(rid):
            self.foreign_writes.append(f"PUT {rtype}/{rid}")
            return refusal_response(FOREIGN_READ_ONLY)
        if not self.profile.offers(rtype, UPDATE):
            return refusal_response(self.profile.unsupported_write, f"(update {rtype})")
        if_match = headers.get("If-Match")
        if self.profile.update_needs_if_match and not if_match:
            return self._fhir(428, outcome("An If-Match header is required", "required"))
        if self._upstream_read(rtype, rid) is None:  # vendors never update-as-create
            return refusal_response(NOT_FOUND, f"({rtype}/{rid})")
        sent = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON}
        if if_match:
            sent["If-Match"] = if_match
        answer = self._upstream("PUT", f"{rtype}/{rid}", data=json.dumps(body), headers=sent)
        if answer.status_code in (409, 412):  # HAPI says 409 (version conflict) or 412
            stale = outcome("The resource was changed since it was read", "conflict")
            return self._fhir(self.profile.stale_update_status, stale)
        return self._relay_write(answer)

    def _relay_write(self, answer: requests.Response) -> Response:
        headers = {
            h: answer.headers[h].replace(self._upstream_base, self._fhir_base)
            for h in ("Location", "ETag", "Last-Modified")
            if h in answer.headers
        }
        if answer.ok and self.profile.empty_create_body and answer.status_code == 201:
            return Response(b"", status=201, headers=headers)
        return Response(
            answer.content,
            status=answer.status_code,
            headers=headers,
            content_type=answer.headers.get("Content-Type", FHIR_JSON),
        )

    # -- upstream -------------------------------------------------------------------------------
    def _upstream_all(self, rtype: str, params: list[tuple[str, str]]) -> Iterator[Resource]:
        answer = self._upstream(
            "GET", rtype, params=[*params, ("_count", UPSTREAM_PAGE)], headers={"Accept": FHIR_JSON}
        )
        while True:
            answer.raise_for_status()  # the proxy answers 502: HAPI failed, not the vendor rule
            bundle = answer.json()
            for entry in bundle.get("entry") or []:
                resource = entry.get("resource")
                mode = (entry.get("search") or {}).get("mode", "match")
                if isinstance(resource, dict) and mode == "match":
                    yield resource
            following = next(
                (lk["url"] for lk in bundle.get("link") or [] if lk.get("relation") == "next"),
                None,
            )
            if not following:
                return
            path = str(following).removeprefix(self._upstream_base).lstrip("/")
            answer = self._upstream("GET", path, headers={"Accept": FHIR_JSON})

    def _upstream_read(self, rtype: str, rid: str) -> Resource | None:
        answer = self._upstream("GET", f"{rtype}/{rid}", headers={"Accept": FHIR_JSON})
        if answer.status_code != 200:
            return None
        found = answer.json()
        return found if isinstance(found, dict) else None

    # -- answers --------------------------------------------------------------------------------
    def _entry(self, resource: Resource, mode: str) -> dict[str, Any]:
        url = f"{self._fhir_base}/{resource['resourceType']}/{resource.get('id')}"
        return {"fullUrl": url, "resource": resource, "search": {"mode": mode}}

    def _json(self, document: Any) -> Response:
        return self._fhir(200, document)

    @staticmethod
    def _fhir(status: int, document: Any) -> Response:
        return Response(json.dumps(document), status=status, content_type=FHIR_JSON)


def _patient_of(query: list[tuple[str, str]]) -> str | None:
    for key, value in query:
        if key.split(":")[0] in ("patient", "subject") and "," not in value:
            return value.rsplit("/", 1)[-1]
    return None


def _patient_only(params: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in params if k.split(":")[0] in ("patient", "subject")]


def _is_mr(study: Resource) -> bool:
    modalities = [*(study.get("modality") or [])]
    modalities += [s.get("modality") for s in study.get("series") or [] if isinstance(s, dict)]
    return any(isinstance(m, dict) and m.get("code") == "MR" for m in modalities)


def _foreign_by_id(rid: str) -> list[Resource]:
    for prefix in ("careplan-b-", "careplan-", "task-"):
        head = shapes.FOREIGN_PREFIX + prefix
        if rid.startswith(head):
            return shapes.foreign_plans(rid.removeprefix(head))
    return []
