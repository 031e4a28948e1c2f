"""The evaluation context: everything an evaluation depends on besides the patient's record.

One value, built once per process or request and passed whole (docs/clinical-rules.md, "Rules"):
the as-of date D (the only clock the engine has), the clinical thresholds (:class:`RuleSettings`),
the code lists (:class:`Terminology`, including a site's own codes and the canonical base that
names the project's CodeSystems and the plan's identifiers). The date travels only here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from smart_app.domain.terminology import (
    DEFAULT_CANONICAL_BASE,
    Coding,
    Terminology,
    default_terminology,
    load_terminology,
    parse_site_codes,
)
from smart_app.domain.thresholds import DEFAULT_SETTINGS, RuleSettings


@dataclass(frozen=True, slots=True)
class EvaluationContext:
    """As-of date, thresholds and terminology of one evaluation (or of a whole run)."""

    as_of: date
    rules: RuleSettings = DEFAULT_SETTINGS
    terminology: Terminology = field(default_factory=default_terminology)

    @classmethod
    def build(
        cls,
        as_of: date,
        *,
        rules: RuleSettings | None = None,
        canonical_base: str = DEFAULT_CANONICAL_BASE,
        site_codes: object = None,
    ) -> EvaluationContext:
        """The context for ``as_of``: packaged code lists under ``canonical_base`` plus a site's
        codes (the JSON object of docs/clinical-rules.md "Site codes"; ValueError when malformed).
        """
        terminology = load_terminology(canonical_base)
        if site_codes is not None:
            parsed: Mapping[str, frozenset[Coding]] = parse_site_codes(site_codes)
            terminology = terminology.with_site_codes(parsed)
        return cls(as_of, rules or DEFAULT_SETTINGS, terminology)

    @property
    def canonical_base(self) -> str:
        """URL namespace of the project's own CodeSystems, profiles and plan identifiers."""
        return self.terminology.canonical_base

    def on(self, as_of: date) -> EvaluationContext:
        """The same settings and terminology on another day (a later run of the same process)."""
        return EvaluationContext(as_of, self.rules, self.terminology)
