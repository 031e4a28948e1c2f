"""Rule T: treatment suggestions (never orders) and the benign-MS treatment statement.

Guidance: first-line DMT (interferon beta, glatiramer acetate) may be considered on evidence of
disease activity; on a DMT with suboptimal response, review or switch; benign MS without activity is
monitored rather than escalated, and AHSCT is not recommended for benign MS; the benign label must
be re-assessed when activity appears. Where the spec is silent: the suggestion is due
``treatment_review_months`` (1) after the latest activity finding, with its window opening on it.
"""

from __future__ import annotations

from datetime import date

from smart_app.domain.dates import add_months
from smart_app.domain.results import Activity, Classification, Recommendation
from smart_app.domain.rules.common import recommendation
from smart_app.domain.sources import CLASSIFICATION, ECTRIMS_EAN_2018, GUIDANCE
from smart_app.domain.thresholds import RuleSettings
from smart_app.domain.timeline import PatientTimeline

FIRST_LINE = "interferon beta (Avonex, Rebif, Betaseron) or glatiramer acetate (Copaxone)"


def treatment_recommendations(
    timeline: PatientTimeline,
    classification: Classification,
    activity: Activity,
    as_of: date,
    settings: RuleSettings,
) -> list[Recommendation]:
    if not activity.active:
        return []
    latest = activity.findings[-1]
    evidence = tuple(ref for finding in activity.findings for ref in finding.evidence)
    kinds = ", ".join(sorted({f.kind for f in activity.findings}))
    due = add_months(latest.date, settings.treatment_review_months)
    current = [d for d in timeline.dmt_exposures if d.current]
    recs: list[Recommendation] = []
    if current:
        names = ", ".join(f"{d.ingredient} (since {d.since.isoformat()})" for d in current)
        recs.append(
            recommendation(
                "review-dmt",
                due=due,
                window_start=latest.date,
                as_of=as_of,
                rationale=(
                    f"Disease activity ({kinds}) while on {names}: suboptimal response; review "
                    "adherence and consider a switch (another first-line or a second-line DMT)."
                ),
                source=(GUIDANCE, ECTRIMS_EAN_2018),
                evidence=evidence + tuple(d.evidence[-1] for d in current),
                anchor=latest.date,
            )
        )
    else:
        recs.append(
            recommendation(
                "consider-dmt",
                due=due,
                window_start=latest.date,
                as_of=as_of,
                rationale=(
                    f"Disease activity ({kinds}) without a current DMT: consider a first-line "
                    f"DMT, {FIRST_LINE}. A suggestion for the clinician, not an order."
                ),
                source=(GUIDANCE, ECTRIMS_EAN_2018),
                evidence=evidence,
                anchor=latest.date,
            )
        )
    if classification.status == "benign":
        recs.append(
            recommendation(
                "reassess-benign-status",
                due=due,
                window_start=latest.date,
                as_of=as_of,
                rationale=(
                    f"Classified benign but with disease activity ({kinds}): the benign label "
                    "can change and must be re-assessed."
                ),
                source=(GUIDANCE, *CLASSIFICATION),
                evidence=evidence,
                anchor=latest.date,
            )
        )
    return recs


def treatment_statement(classification: Classification, activity: Activity) -> str | None:
    """The plan's statement for benign MS without activity (monitoring, not escalation)."""
    if classification.status != "benign" or activity.active:
        return None
    return (
        "Benign MS without disease activity: monitoring rather than treatment escalation. "
        "AHSCT is not recommended for benign MS. The benign label can change and is re-assessed "
        "at every review."
    )
