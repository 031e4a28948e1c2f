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
    return Recommendation(  # positional (in field order): cheaper than keywords, once per action
        code,
        due,
        window_start,
        overdue,
        priority(code, overdue=overdue),
        rationale,
        source,
        evidence,
        anchor,
    )
