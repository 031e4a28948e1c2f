"""Helpers shared by the recommendation rules: priority and the Recommendation constructor."""

from __future__ import annotations

from datetime import date

from smart_app.domain.actions import priority
from smart_app.domain.results import Recommendation


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
    """Build a recommendation: ``overdue`` = due < D; priority per docs/clinical-rules.md, T."""
    overdue = due < as_of
    return Recommendation(
        code=code,
        due=due,
        window_start=window_start,
        overdue=overdue,
        priority=priority(code, overdue=overdue),
        rationale=rationale,
        source=source,
        evidence=evidence,
        anchor=anchor,
    )
