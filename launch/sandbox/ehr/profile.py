"""What an emulated EHR is: the vendor facts as data, read by the proxy's mechanics.

One :class:`EhrProfile` per vendor lives in its own module (``epic.py``, ``oracle.py``, ...), as a
table a reviewer can hold against the project's EHR behaviour notes (the vendors' public
CapabilityStatements and documentation). :mod:`launch.sandbox.ehr.emulator` applies a profile to
requests on their way to HAPI and to answers on their way back; nothing vendor-specific is coded
there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

BodyKind = Literal["fhir", "html", "json"]
Paging = Literal["hapi", "epic", "oracle", "athena", "opaque"]
Total = Literal["exact", "page-size", "none"]
Batch = Literal["all", "none", "restricted"]

READ = "read"
SEARCH = "search-type"
CREATE = "create"
UPDATE = "update"
DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Refusal:
    """How a vendor says no: status, body kind (FHIR OperationOutcome, HTML page, plain JSON)."""

    status: int
    kind: BodyKind
    message: str
    code: str = "not-supported"  # OperationOutcome issue code
    vendor_code: str | None = None  # e.g. Epic's 59108; shown as issue.details.coding


@dataclass(frozen=True, slots=True)
class TypeRule:
    """What a vendor offers for one resource type.

    ``required``: alternatives, one of which must be fully present in a search (names without
    modifiers), else ``missing_required``. ``required_values``: a parameter whose token code must
    be one of these. ``ignored_params`` are accepted and not applied (Epic's ``identifier``).
    ``refused``: declared in the CapabilityStatement, refused when used (sites advertise more than
    they accept). ``count_cap``: the most entries a page holds, whatever ``_count`` says;
    ``unpaged``: the whole result in one page. ``operations``: declared in the statement.
    """

    interactions: frozenset[str]
    search_params: tuple[str, ...] = ("patient",)
    required: tuple[frozenset[str], ...] = ()
    missing_required: Refusal | None = None
    required_values: Mapping[str, frozenset[str]] = field(default_factory=dict)
    ignored_params: frozenset[str] = frozenset()
    refused: Refusal | None = None
    count_cap: int | None = None
    unpaged: bool = False
    #: operations declared on the type (Epic's Group: ``export`` only, Bulk Data)
    operations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Shapes:
    """How the vendor's charts hold the cohort's data (the proxy reshapes HAPI's resources).

    ``edss_coding``: (system, code, display) of the EDSS flowsheet row, ``edss_category`` its
    Observation category; None: EDSS is not exposed at all. ``observation_categories``: only
    Observations of these categories are exposed (None: all). ``mri_as_report``: MR
    ImagingStudies are served as radiology DiagnosticReports with ``report_categories``.
    ``medication_by_reference``: MedicationRequest.medicationReference to a Medication (else the
    RxNorm CodeableConcept, plus ``local_medication_system`` as a synonym coding when set).
    ``statements_as_requests``: MedicationStatements (never served in R4 by any vendor) become
    patient-reported MedicationRequests. ``foreign_plans``: another app's CarePlan and Task per
    patient.
    """

    edss_coding: tuple[str, str, str] | None = None
    edss_category: str = "exam"
    observation_categories: frozenset[str] | None = None
    mri_as_report: bool = False
    report_categories: tuple[tuple[str, str, str], ...] = ()
    medication_by_reference: bool = False
    local_medication_system: str | None = None
    statements_as_requests: bool = False
    foreign_plans: bool = False


@dataclass(frozen=True, slots=True)
class EhrProfile:
    """One vendor's FHIR R4 server as the sandbox emulates it (``hapi``: HAPI itself, untouched).

    ``facts`` are one-line statements with their source, shown on the launcher page and checked
    by the table-driven test.
    """

    name: str
    title: str
    software: str
    types: Mapping[str, TypeRule]
    unknown_type: Refusal
    unsupported_write: Refusal
    batch: Batch
    batch_refusal: Refusal | None
    paging: Paging
    default_count: int
    total: Total
    outcome_entries: bool = False
    xml_without_accept: bool = False
    empty_create_body: bool = False
    update_needs_if_match: bool = False
    stale_update_status: int = 412
    token_lifetime_seconds: int | None = None
    rotate_refresh_tokens: bool = True
    v1_system_scopes: bool = True  # SMART v1 ``system/*.read`` accepted (Oracle: v2 only)
    #: how a request beyond the granted scopes is refused (Oracle: non-FHIR JSON)
    scope_refusal: BodyKind = "fhir"
    shapes: Shapes = field(default_factory=Shapes)
    facts: tuple[str, ...] = ()

    @property
    def passthrough(self) -> bool:
        """HAPI's own behaviour: the proxy forwards as it always did."""
        return self.name == "hapi"

    def rule(self, resource_type: str) -> TypeRule | None:
        return self.types.get(resource_type)

    def offers(self, resource_type: str, interaction: str) -> bool:
        rule = self.types.get(resource_type)
        return rule is not None and interaction in rule.interactions


def rules(
    interactions: frozenset[str], types: tuple[str, ...], **kwargs: object
) -> dict[str, TypeRule]:
    """The same rule for several types (a table shorthand)."""
    return {t: TypeRule(interactions, **kwargs) for t in types}  # type: ignore[arg-type]


READ_SEARCH = frozenset({READ, SEARCH})
