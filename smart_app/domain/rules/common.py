"""Helpers shared by the recommendation rules: priority and the Recommendation constructor."""

from __future__ import annotations

from datetime import date

from smart_app.domain.results import Recommendation

URGENT_WHEN_OVERDUE = frozenset({"neuro-review", "mri-brain", "mri-pml-surveillance"})
ALWAYS_URGENT = frozenset(
    {"consider-dmt", "review-dmt", "reassess-benign-status", "mri-pml-surveillance"}
)


def recommendation(
    code: str,
    *,
    due: date,
    window_start: date,
    as_of: date,
    rationale: str,
    source: tuple[str, ...],
    evidence: tuple[str, ...],
    anchor: date | None,
) -> Recommendation:
    """Build a recommendation; ``overdue`` = due < D and the priority follow clinical-rules.md T."""
    overdue = due < as_of
    urgent = code in ALWAYS_URGENT or (overdue and code in URGENT_WHEN_OVERDUE)
    return Recommendation(
        code=code,
        due=due,
        window_start=window_start,
        overdue=overdue,
        priority="urgent" if urgent else "routine",
        rationale=rationale,
        source=source,
        evidence=evidence,
        anchor=anchor,
    )
