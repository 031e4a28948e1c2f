"""Rules C (classification), A (activity), M (monitoring), T (treatment) and symptoms.

Plain loops over small sorted tuples: they run for every patient of a population.
"""

from __future__ import annotations

from smart_app.domain.rules.activity import assess_activity, confirmed_progression
from smart_app.domain.rules.classification import classify
from smart_app.domain.rules.monitoring import monitoring_recommendations
from smart_app.domain.rules.symptoms import symptom_recommendations
from smart_app.domain.rules.treatment import treatment_recommendations, treatment_statement

__all__ = [
    "assess_activity",
    "classify",
    "confirmed_progression",
    "monitoring_recommendations",
    "symptom_recommendations",
    "treatment_recommendations",
    "treatment_statement",
]
