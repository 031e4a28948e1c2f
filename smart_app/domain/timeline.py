"""The typed patient timeline the rules read: small frozen values in date-sorted tuples.

The rules run for every patient of a population (>= 20,000 per second on one core), so the timeline
holds exactly what they need, already cleaned, dated and sorted by the extractor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class DataIssue:
    """An input the engine skipped or doubts (clinical-rules.md, Q)."""

    code: str
    resource: str
    message: str


@dataclass(frozen=True, slots=True)
class MsDiagnosis:
    """The MS Condition and the disease onset taken from it."""

    ref: str
    onset: date | None
    onset_from_recorded_date: bool


@dataclass(frozen=True, slots=True)
class EdssMeasurement:
    """One EDSS; ``stable`` = measured more than N days after the onset of any relapse."""

    date: date
    value: float
    ref: str
    stable: bool


@dataclass(frozen=True, slots=True)
class Relapse:
    """An MS exacerbation; a partial onset date (YYYY-MM) spans ``onset`` .. ``onset_latest``."""

    onset: date
    onset_latest: date
    ref: str


@dataclass(frozen=True, slots=True)
class MriStudy:
    """An available MR ImagingStudy of the brain or of the spine."""

    date: date
    region: str  # "brain" | "spine"
    ref: str


@dataclass(frozen=True, slots=True)
class MriFinding:
    """Lesion count from an MRI report: ``kind`` is "new-t2-lesions" or "gd-lesions"."""

    date: date
    kind: str
    count: float
    ref: str


@dataclass(frozen=True, slots=True)
class DmtExposure:
    """An unbroken run of records of one DMT ingredient."""

    ingredient: str
    rxnorm: str
    first_line: bool
    since: date
    last_date: date
    current: bool
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class JcvResult:
    """Anti-JCV antibody result (natalizumab PML risk)."""

    date: date
    positive: bool | None  # None: neither positive nor negative (unknown)
    ref: str


@dataclass(frozen=True, slots=True)
class Score:
    """A dated numeric score (MFIS 0-84, SDMT 0-110)."""

    date: date
    value: float
    ref: str


@dataclass(frozen=True, slots=True)
class PatientTimeline:
    """Everything the rules know about one patient as of ``as_of``."""

    patient: str
    as_of: date
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

    @property
    def stable_edss(self) -> tuple[EdssMeasurement, ...]:
        """The stable EDSS series in date order (the one classification and CDP use)."""
        return tuple(m for m in self.edss if m.stable)

    @property
    def current_dmts(self) -> tuple[DmtExposure, ...]:
        """Exposures whose latest record is active as of ``as_of``."""
        return tuple(d for d in self.dmt_exposures if d.current)
