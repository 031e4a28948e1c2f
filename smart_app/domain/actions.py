"""The monitoring actions: codes, report order and priority policy, in one place.

The codes are those of CodeSystem ``ms-monitoring-action`` (fhir_profiles/resources), in its order;
each ActivityDefinition's ``priority`` is the :data:`BASE_PRIORITY` given here, and a test checks
that the two agree (docs/clinical-rules.md, "T": overdue reviews, MRIs and JCV tests are urgent).
"""

from __future__ import annotations

from types import MappingProxyType

#: Codes of ``{canonical}/CodeSystem/ms-monitoring-action``, in the order reports list them.
ACTION_CODES = (
    "neuro-review",
    "mri-brain",
    "mri-pml-surveillance",
    "jcv-serology",
    "confirm-edss",
    "symptom-screen",
    "symptom-fatigue",
    "symptom-cognition",
    "consider-dmt",
    "review-dmt",
    "reassess-benign-status",
)
ACTION_ORDER = MappingProxyType({code: index for index, code in enumerate(ACTION_CODES)})
ALWAYS_URGENT = frozenset(
    {"consider-dmt", "review-dmt", "reassess-benign-status", "mri-pml-surveillance"}
)
URGENT_WHEN_OVERDUE = frozenset(
    {"neuro-review", "mri-brain", "mri-pml-surveillance", "jcv-serology"}
)
#: Priority of an action that is not overdue (the ActivityDefinitions' ``priority``).
BASE_PRIORITY = MappingProxyType(
    {code: "urgent" if code in ALWAYS_URGENT else "routine" for code in ACTION_CODES}
)


def priority(code: str, *, overdue: bool) -> str:
    """``urgent`` or ``routine`` for an action (docs/clinical-rules.md, rule T)."""
    if overdue and code in URGENT_WHEN_OVERDUE:
        return "urgent"
    return BASE_PRIORITY[code]
