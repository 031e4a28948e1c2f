"""One evaluation context per process or request, built from the app's settings.

The context itself (:class:`smart_app.domain.EvaluationContext`: the as-of date, the rules, the
terminology with a site's own codes) is the engine's; this module builds it at the edge (a
launch's request, a CDS call, a queue job, ``ms-monitor run`` or ``evaluate``) so the date travels
on one channel and every path evaluates with the same thresholds (docs/clinical-rules.md).
``canonical_base`` is the URL namespace of the project's own CodeSystems and identifiers, not a
clinical threshold: it lives in the terminology.
"""

from __future__ import annotations

from datetime import date

from smart_app.domain import EvaluationContext, RuleSettings
from smart_app.settings import Settings

__all__ = ["EvaluationContext", "evaluation_context", "rules_context"]


def evaluation_context(
    settings: Settings, *, as_of: date | None = None, site_codes: object = None
) -> EvaluationContext:
    """The context for ``settings``; ``as_of`` defaults to today (the only clock read).

    ``site_codes`` is a site's own codes (an issuer registration's, or ``--site-codes``): the
    JSON object of docs/clinical-rules.md "Site codes"; ValueError when malformed.
    """
    return EvaluationContext.build(
        as_of or date.today(), canonical_base=settings.canonical_base, site_codes=site_codes
    )


def rules_context(as_of: date, rules: RuleSettings | None = None) -> EvaluationContext:
    """A context from explicit rules (default: the contract's thresholds) and a fixed date."""
    return EvaluationContext.build(as_of, rules=rules)
