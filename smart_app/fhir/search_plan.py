"""The portable search set: what to ask a server for one patient, decided from its profile.

US Core is what every certified US EHR must answer
(https://hl7.org/fhir/us/core/STU6.1/CapabilityStatement-us-core-server.html): Observation by
``patient+category`` and ``patient+code`` (never ``patient`` alone: Epic answers 400),
MedicationRequest by ``patient+intent`` with ``_include=MedicationRequest:medication``,
DiagnosticReport by ``patient+category`` (radiology: LOINC ``LP29684-5``, v2 ``RAD``), CarePlan by
``patient+category``. ImagingStudy, MedicationAdministration, MedicationStatement and Task are read
only where the server offers them. Our own CarePlan/Tasks are found by category and filtered
client-side: servers may ignore ``identifier`` (Epic does), so it is never sent.

Pure: a :class:`~smart_app.fhir.server_profile.ServerProfile`, the site configuration and what
the engine reads in, a :class:`SearchPlan` (data) out. The reader runs it, in one batch where the
server offers batch, else as parallel GETs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from smart_app.domain.reads import clinical_types
from smart_app.fhir.server_profile import ServerProfile, search_signature
from smart_app.site_config import RADIOLOGY_CATEGORIES, SiteConfiguration

MEDICATION_INCLUDE = "MedicationRequest:medication"
MEDICATION_INTENTS = "order,plan"
#: Observation categories that hold MS data in US Core terms: EDSS (exam), MRI findings
#: (imaging), JCV serology (laboratory), MFIS/SDMT (survey).
MS_OBSERVATION_CATEGORIES = ("exam", "imaging", "laboratory", "survey")
#: Types read with ``patient`` alone, where offered.
PATIENT_ONLY_TYPES = (
    "Condition",
    "ImagingStudy",
    "MedicationAdministration",
    "MedicationStatement",
)


@dataclass(frozen=True, slots=True)
class EngineReads:
    """What the engine reads: resource types, and Observation codes per concept
    (``system|code``; the engine's own code lists, never the site's)."""

    resource_types: frozenset[str]
    observation_codes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    observation_categories: tuple[str, ...] = MS_OBSERVATION_CATEGORIES


def engine_reads_from_terminology(terminology: Any) -> EngineReads:
    """The engine's reads from its code lists (:class:`smart_app.domain.terminology.Terminology`):
    the Observation concepts the rules use, and the clinical contract's input types."""
    concepts = {
        "edss": terminology.edss,
        "new-t2-lesions": terminology.new_t2_lesions,
        "gd-lesions": terminology.gd_lesions,
        "jcv-antibody": terminology.jcv_antibody,
        "mfis": terminology.mfis,
        "sdmt": terminology.sdmt,
    }
    return EngineReads(
        resource_types=frozenset(clinical_types()),
        observation_codes={
            concept: tuple(sorted(f"{system}|{code}" for system, code in codings))
            for concept, codings in concepts.items()
        },
    )


@dataclass(frozen=True, slots=True)
class PlannedSearch:
    """One search for the patient; ``purpose`` says what it is for (``plan`` for our own)."""

    resource_type: str
    params: tuple[tuple[str, str], ...]
    purpose: str

    def url(self, patient_id: str) -> str:
        """Relative URL (batch entry or GET), ``patient`` first."""
        return f"{self.resource_type}?{urlencode([('patient', patient_id), *self.params])}"


@dataclass(frozen=True, slots=True)
class Unavailable:
    """A type (or search) the engine reads that this server will not give: data issue
    ``resource-unavailable`` (docs/clinical-rules.md), never a failed launch."""

    resource_type: str
    reason: str  # not-offered | refused | not-granted | search-not-offered

    @property
    def message(self) -> str:
        return {
            "not-offered": f"{self.resource_type} not offered by this server",
            "refused": f"{self.resource_type} refused by this server",
            "not-granted": f"{self.resource_type} not granted to ms-monitor",
            "search-not-offered": f"{self.resource_type} search not offered by this server",
        }.get(self.reason, f"{self.resource_type} unavailable")


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """The searches for one patient, and whether to send them as one batch."""

    searches: tuple[PlannedSearch, ...]
    batch: bool
    unavailable: tuple[Unavailable, ...] = ()
    plan_readable: bool = True

    def urls(self, patient_id: str) -> list[str]:
        return [s.url(patient_id) for s in self.searches]

    def summary(self) -> str:
        """One line for the dashboard: how the record was read and what was missing."""
        n = len(self.searches)
        how = "in one batch" if self.batch else "in parallel"
        parts = [f"read {n} search{'es' if n != 1 else ''} {how}"]
        parts += [u.message for u in self.unavailable]
        return "; ".join(parts)


def portable_searches(
    profile: ServerProfile, site: SiteConfiguration, reads: EngineReads
) -> SearchPlan:
    """The portable search set for ``profile``'s server, the site's codes and the engine's reads."""
    searches: list[PlannedSearch] = []
    missing: list[Unavailable] = []

    def add(rtype: str, params: list[tuple[str, str]], purpose: str) -> bool:
        if profile.can_search(rtype, ["patient", *(k for k, _ in params)]):
            searches.append(PlannedSearch(rtype, tuple(params), purpose))
            return True
        return False

    wanted = reads.resource_types
    for rtype in ("Condition",):
        if rtype in wanted and not add(rtype, [], "diagnosis"):
            missing.append(_why(profile, rtype, ["patient"]))
    if "Observation" in wanted:
        categories = _unique([*reads.observation_categories, *site.observation_categories])
        codes = _unique(
            [c for values in reads.observation_codes.values() for c in values]
            + [
                c
                for concept in site.codes
                if concept in _OBSERVATION_CONCEPTS
                for c in site.codes_for(concept)
            ]
        )
        by_category = bool(categories) and add(
            "Observation", [("category", ",".join(categories))], "observations-by-category"
        )
        by_code = bool(codes) and add(
            "Observation", [("code", ",".join(codes))], "observations-by-code"
        )
        if not (by_category or by_code):
            missing.append(_why(profile, "Observation", ["patient", "category"]))
    if "MedicationRequest" in wanted:
        params = [("intent", MEDICATION_INTENTS)]
        if profile.can_include(MEDICATION_INCLUDE):
            params.append(("_include", MEDICATION_INCLUDE))
        if not add("MedicationRequest", params, "medications") and not add(
            "MedicationRequest", [], "medications"
        ):
            missing.append(_why(profile, "MedicationRequest", ["patient", "intent"]))
    if "DiagnosticReport" in wanted:
        categories = _unique([*RADIOLOGY_CATEGORIES, *site.report_categories])
        if not add("DiagnosticReport", [("category", ",".join(categories))], "radiology"):
            missing.append(_why(profile, "DiagnosticReport", ["patient", "category"]))
    for rtype in PATIENT_ONLY_TYPES[1:]:
        if rtype in wanted and not add(rtype, [], rtype[0].lower() + rtype[1:]):
            missing.append(_why(profile, rtype, ["patient"]))
    plan_readable = add("CarePlan", [("category", site.careplan_category)], "plan")
    if plan_readable and profile.readable("Task"):
        add("Task", [], "plan")
    return SearchPlan(
        searches=tuple(searches),
        batch=profile.uses_batch,
        unavailable=tuple(missing),
        plan_readable=plan_readable,
    )


_OBSERVATION_CONCEPTS = frozenset(
    {"edss", "new-t2-lesions", "gd-lesions", "jcv-antibody", "mfis", "sdmt"}
)


def _why(profile: ServerProfile, rtype: str, params: Iterable[str]) -> Unavailable:
    if rtype in profile.refusals or search_signature(rtype, params) in profile.refusals:
        return Unavailable(rtype, "refused")
    if rtype not in profile.types:
        return Unavailable(rtype, "not-offered")
    if not profile.open_server and not profile.readable(rtype):
        support = profile.types[rtype]
        if {"read", "search-type"} & support.interactions:
            return Unavailable(rtype, "not-granted")
    return Unavailable(rtype, "search-not-offered")


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
