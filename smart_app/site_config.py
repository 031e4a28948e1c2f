"""Site configuration: what one EHR site adds to the portable reads (part of its registration).

Real charts hold MS data under site-specific codes: EDSS in an Epic flowsheet row
(``urn:oid:1.2.840.114350.1.13.0.1.7.2.707679|<row id>``) or a SmartData element, MRI findings and
procedures under local codes, JCV under a local lab code. A site adds them without changing the
engine: a concept -> ``["system|code", ...]`` mapping, the same JSON ``ms-monitor evaluate
--site-codes FILE`` reads (docs/clinical-rules.md, "Site codes"). The registration also says which
Observation categories to search, which categories mark radiology reports, and the CarePlan
category ms-monitor files its plan under (US Core: ``assess-plan``,
https://hl7.org/fhir/us/core/STU6.1/StructureDefinition-us-core-careplan.html).

Pure data and validation: no I/O. Example (``"site"`` in an issuer registration)::

    {"codes": {"edss": ["urn:oid:1.2.840.114350.1.13.0.1.7.2.707679|3040101234"]},
     "observation_categories": ["functional-mental-status"],
     "report_categories": ["http://terminology.hl7.org/CodeSystem/v2-0074|RAD"],
     "careplan_category": "http://hl7.org/fhir/us/core/CodeSystem/careplan-category|assess-plan"}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smart_app.errors import ConfigurationError

#: The concepts a site may add codes for (docs/clinical-rules.md, "Site codes").
SITE_CONCEPTS = (
    "edss",
    "new-t2-lesions",
    "gd-lesions",
    "brain-mri",
    "spinal-mri",
    "jcv-antibody",
    "mfis",
    "sdmt",
)
US_CORE_CAREPLAN_ASSESS_PLAN = (
    "http://hl7.org/fhir/us/core/CodeSystem/careplan-category|assess-plan"
)
RADIOLOGY_LOINC = "http://loinc.org|LP29684-5"
KEYS = frozenset(
    {
        "codes",
        "observation_categories",
        "report_categories",
        "careplan_category",
        "inbox_communication",
    }
)


def _token(value: Any, where: str) -> str:
    """A ``system|code`` string with both parts present."""
    if not isinstance(value, str):
        raise ConfigurationError(f"{where}: expected 'system|code', got {value!r}")
    system, bar, code = value.partition("|")
    if not bar or not system.strip() or not code.strip() or "," in value:
        raise ConfigurationError(f"{where}: expected 'system|code', got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class SiteConfiguration:
    """What one site adds: codes per concept, Observation and radiology categories, the
    CarePlan category. Empty by default (the engine's own codes and US Core categories)."""

    codes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    observation_categories: tuple[str, ...] = ()
    report_categories: tuple[str, ...] = ()
    careplan_category: str = US_CORE_CAREPLAN_ASSESS_PLAN
    #: the site delivers an app's Communication to a practitioner's inbox (Oracle Health's
    #: ``notification``); Epic accepts Communication only for community resources
    inbox_communication: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, where: str = "site") -> SiteConfiguration:
        """Validated from JSON; a mistake is a :class:`ConfigurationError` naming the key."""
        if not isinstance(data, Mapping):
            raise ConfigurationError(f"{where}: expected an object")
        unknown = set(data) - KEYS
        if unknown:
            raise ConfigurationError(f"{where}: unknown keys {sorted(unknown)}")
        raw_codes = data.get("codes", {})
        if not isinstance(raw_codes, Mapping):
            raise ConfigurationError(f"{where}.codes: expected an object")
        codes: dict[str, tuple[str, ...]] = {}
        for concept, values in raw_codes.items():
            if concept not in SITE_CONCEPTS:
                raise ConfigurationError(
                    f"{where}.codes: unknown concept {concept!r} "
                    f"(one of {', '.join(SITE_CONCEPTS)})"
                )
            if not isinstance(values, list):
                raise ConfigurationError(f"{where}.codes.{concept}: expected a list")
            codes[concept] = tuple(_token(v, f"{where}.codes.{concept}") for v in values)
        categories = data.get("observation_categories", [])
        if not isinstance(categories, list) or not all(
            isinstance(c, str) and c and "," not in c for c in categories
        ):
            raise ConfigurationError(f"{where}.observation_categories: expected a list of codes")
        reports = data.get("report_categories", [])
        if not isinstance(reports, list):
            raise ConfigurationError(f"{where}.report_categories: expected a list")
        careplan = data.get("careplan_category", US_CORE_CAREPLAN_ASSESS_PLAN)
        inbox = data.get("inbox_communication", False)
        if not isinstance(inbox, bool):
            raise ConfigurationError(f"{where}.inbox_communication: expected true or false")
        return cls(
            codes=codes,
            observation_categories=tuple(categories),
            report_categories=tuple(_token(r, f"{where}.report_categories") for r in reports),
            careplan_category=_token(careplan, f"{where}.careplan_category"),
            inbox_communication=inbox,
        )

    def codes_for(self, concept: str) -> tuple[str, ...]:
        return tuple(self.codes.get(concept, ()))

    def site_codes(self) -> dict[str, list[str]]:
        """The ``--site-codes`` JSON form (concept -> list), for the engine as data."""
        return {concept: list(values) for concept, values in self.codes.items() if values}
