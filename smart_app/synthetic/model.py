"""Value types of the synthetic cohort: a patient's FHIR resources and what the engine concludes.

``Expected`` is deliberately partial where docs/clinical-rules.md is silent (``None`` = not
checked), and exact where the contract decides (activity kinds, recommendation codes present and
absent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

Resource = dict[str, Any]
"""A FHIR R4 resource as JSON-ready dict."""


@dataclass(frozen=True, slots=True)
class RecommendationCheck:
    """What one recommendation must look like; ``None`` fields are not checked."""

    code: str
    due: date | None = None
    window_start: date | None = None
    overdue: bool | None = None
    priority: str | None = None


@dataclass(frozen=True, slots=True)
class Expected:
    """The engine's conclusion for a scenario patient as of the cohort's ``as_of`` date.

    ``recommendations`` must all appear and ``absent`` must not; ``data_issues`` must appear (and be
    the only ones when ``data_issues_exact``); ``activity`` is the exact set of finding kinds.
    """

    status: str
    strict: bool | None = None
    reason: str | None = None
    edss: float | None = None
    edss_date: date | None = None
    activity: frozenset[str] = frozenset()
    recommendations: frozenset[str] = frozenset()
    absent: frozenset[str] = frozenset()
    data_issues: frozenset[str] = frozenset()
    data_issues_exact: bool = False
    checks: tuple[RecommendationCheck, ...] = ()
    current_dmt: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class SyntheticPatient:
    """A synthetic patient: valid R4 ``resources`` (HAPI-loadable) and, for scenarios, ``expected``.

    ``offline_only`` holds resources that are deliberately schema-invalid (data issue
    ``invalid-resource``): they go into :func:`collection_bundle` only, never to a server.
    """

    patient_id: str
    scenario: str
    resources: list[Resource]
    expected: Expected | None
    offline_only: list[Resource] = field(default_factory=list)
    #: one line for a person choosing a patient (the scenario's docstring)
    description: str = ""
