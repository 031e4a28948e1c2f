"""One evaluation context per process or request: the as-of date, the rules, the terminology.

Built once at the edge (a launch's request, a CDS call, a queue job, ``ms-monitor run`` or
``evaluate``) and passed as one value through the service API, so the date travels on one channel
and every path evaluates with the same thresholds (docs/clinical-rules.md). ``canonical_base`` is
the URL namespace of the project's own CodeSystems and identifiers, not a clinical threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from smart_app.domain import RuleSettings, Terminology, load_terminology
from smart_app.settings import Settings


@dataclass(frozen=True, slots=True)
class EvaluationContext:
    """What every evaluation needs besides the patient's data."""

    as_of: date
    rules: RuleSettings
    terminology: Terminology
    canonical_base: str


def evaluation_context(settings: Settings, *, as_of: date | None = None) -> EvaluationContext:
    """The context for ``settings``; ``as_of`` defaults to today (the only clock read)."""
    base = settings.canonical_base
    return EvaluationContext(
        as_of=as_of or date.today(),
        rules=RuleSettings(canonical_base=base),
        terminology=load_terminology(base),
        canonical_base=base,
    )


def rules_context(as_of: date, rules: RuleSettings | None = None) -> EvaluationContext:
    """A context from explicit rules (default: the contract's thresholds) and a fixed date."""
    rules = rules or RuleSettings()
    return EvaluationContext(
        as_of=as_of,
        rules=rules,
        terminology=load_terminology(rules.canonical_base),
        canonical_base=rules.canonical_base,
    )
