"""The typed patient timeline the rules read: small frozen values in date-sorted tuples.

The rules run for every patient of a population (>= 20,000 per second on one core), so the timeline
holds exactly what they need, already cleaned, dated and sorted by the extractor. The values (and
the rules' results and report) are frozen ``msgspec.Struct`` types
(https://jcristharif.com/msgspec/structs.html): immutable, hashable and compared by value like a
frozen dataclass, but built in C, without an ``object.__setattr__`` per field (issue 14).
"""

from __future__ import annotations

from datetime import date
from operator import attrgetter
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from smart_app.domain.context import EvaluationContext


class DataIssue(msgspec.Struct, frozen=True):
    """An input the engine skipped or doubts (docs/clinical-rules.md, Q)."""

    code: str
    resource: str
    message: str


_ISSUE_ORDER = attrgetter("resource", "code", "message")


def issues_in_order(issues: list[DataIssue]) -> tuple[DataIssue, ...]:
    """Data issues once each, by resource, code and message (the report's order)."""
    if len(issues) < 2:
        return tuple(issues)
    return tuple(sorted(set(issues), key=_ISSUE_ORDER))


class MsDiagnosis(msgspec.Struct, frozen=True):
    """The MS diagnosis: its Condition(s), the disease onset and what the onset was taken from.

    ``onset`` is the earliest usable date over all MS Conditions (onset, recorded date) and all
    relapses; ``onset_refs`` are the resources that date came from. ``refs`` are the diagnosis
    Conditions (empty when relapses alone establish the diagnosis).
    """

    refs: tuple[str, ...]
    onset: date | None
    onset_from_recorded_date: bool
    onset_refs: tuple[str, ...] = ()
    progressive: bool = False
    confirmed: bool = True
    relapse_refs: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        """The Condition the plan addresses (the first diagnosis Condition, else a relapse)."""
        return (self.refs or self.relapse_refs)[0]


class EdssMeasurement(msgspec.Struct, frozen=True):
    """One EDSS; ``stable`` = measured more than N days after the onset of any relapse."""

    date: date
    value: float
    ref: str
    stable: bool


class Relapse(msgspec.Struct, frozen=True):
    """An MS exacerbation; a partial onset date (YYYY-MM) spans ``onset`` .. ``onset_latest``."""

    onset: date
    onset_latest: date
    ref: str


class MriStudy(msgspec.Struct, frozen=True):
    """An available MR ImagingStudy of the brain or of the spine."""

    date: date
    region: str  # "brain" | "spine"
    ref: str
    report: bool = False  # a DiagnosticReport rather than an ImagingStudy


class MriFinding(msgspec.Struct, frozen=True):
    """Lesion count from an MRI report: ``kind`` is "new-t2-lesions" or "gd-lesions"."""

    date: date
    kind: str
    count: float
    ref: str


class DmtExposure(msgspec.Struct, frozen=True):
    """An unbroken run of records of one DMT ingredient."""

    ingredient: str
    rxnorm: str
    first_line: bool
    since: date
    last_date: date
    current: bool
    evidence: tuple[str, ...]
    #: when the exposure of this run ended (its last record's end, or last dose + one interval)
    until: date | None = None
    #: a stopped record without an end date: the stop date is unknown
    stop_unknown: bool = False

    def months_exposed(self, as_of: date) -> int:
        """Whole calendar months of this run up to ``as_of`` (to its end when it has stopped)."""
        end = as_of if self.current else min(self.until or self.last_date, as_of)
        months = (end.year - self.since.year) * 12 + end.month - self.since.month
        if end.day < self.since.day:
            months -= 1
        return max(months, 0)


class JcvResult(msgspec.Struct, frozen=True):
    """Anti-JCV antibody result (natalizumab PML risk)."""

    date: date
    positive: bool | None  # None: neither positive nor negative (unknown)
    ref: str
    index: float | None = None
    high: bool = False  # positive with an index above the high threshold (1.5)


class Score(msgspec.Struct, frozen=True):
    """A dated numeric score (MFIS 0-84, SDMT 0-110)."""

    date: date
    value: float
    ref: str


class PatientTimeline(msgspec.Struct, frozen=True):
    """Everything the rules know about one patient as of ``as_of``."""

    patient: str
    context: EvaluationContext
    diagnosis: MsDiagnosis | None
    edss: tuple[EdssMeasurement, ...]
    relapses: tuple[Relapse, ...]
    brain_mris: tuple[MriStudy, ...]
    spinal_mris: tuple[MriStudy, ...]
    mri_findings: tuple[MriFinding, ...]
    dmt_exposures: tuple[DmtExposure, ...]
    jcv_results: tuple[JcvResult, ...]
    mfis: tuple[Score, ...]
    sdmt: tuple[Score, ...]
    data_issues: tuple[DataIssue, ...]
    #: the latest EDSS that could not be read (date, ref): never benign on an older value
    unreadable_edss: tuple[date, str] | None = None
    #: resource types the server did not offer or refused (the report says so)
    unavailable: tuple[str, ...] = ()

    @property
    def as_of(self) -> date:
        """The as-of date D, from the evaluation context (its only channel)."""
        return self.context.as_of
