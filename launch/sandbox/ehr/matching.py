"""The search parameters the emulator applies itself, on the vendor-shaped resources.

The emulator asks HAPI for a patient's resources of a type and filters them here, after
reshaping, so that a search by a vendor's code (an Epic flowsheet row) or category (radiology
``LP29684-5``) finds what that vendor would return. Token and date semantics follow
https://hl7.org/fhir/R4/search.html (token ``system|code``, ``code``, ``system|``; comma = OR;
date prefixes ``eq ge gt le lt`` compared on the day).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Resource = dict[str, Any]

#: Parameters the emulator evaluates itself (everything else of a search goes to HAPI as is).
APPLIED_HERE = frozenset({"category", "code", "intent", "status", "date", "identifier"})
#: Result parameters, never filters.
RESULT_PARAMS = frozenset({"_count", "_include", "_revinclude", "_sort", "_format", "_summary"})
DATE_FIELDS = (
    "effectiveDateTime",
    "effectivePeriod",
    "authoredOn",
    "onsetDateTime",
    "recordedDate",
    "issued",
    "started",
    "date",
)


def _codings(value: Any) -> list[dict[str, Any]]:
    concepts = value if isinstance(value, list) else [value]
    return [
        c
        for concept in concepts
        if isinstance(concept, dict)
        for c in concept.get("coding") or []
        if isinstance(c, dict)
    ]


def token_matches(codings: Iterable[dict[str, Any]], wanted: str, value_key: str = "code") -> bool:
    """Whether any coding (or identifier, with ``value_key='value'``) matches a token list."""
    found = [(str(c.get("system", "")), str(c.get(value_key, ""))) for c in codings]
    for token in wanted.split(","):
        if "|" in token:
            system, _, code = token.partition("|")
            if any(s == system and (not code or c == code) for s, c in found):
                return True
        elif any(c == token for _s, c in found):
            return True
    return False


def resource_day(resource: Resource) -> str | None:
    for name in DATE_FIELDS:
        value = resource.get(name)
        if isinstance(value, dict):
            value = value.get("start")
        if isinstance(value, str) and value:
            return value[:10]
    return None


def date_matches(resource: Resource, wanted: str) -> bool:
    day = resource_day(resource)
    if day is None:
        return False
    prefix, value = (wanted[:2], wanted[2:]) if wanted[:2].isalpha() else ("eq", wanted)
    value = value[:10]
    return {
        "eq": day == value,
        "ge": day >= value,
        "gt": day > value,
        "le": day <= value,
        "lt": day < value,
        "ne": day != value,
    }.get(prefix, False)


def matches(resource: Resource, name: str, value: str, ignored: frozenset[str]) -> bool:
    """Whether ``resource`` satisfies one applied search parameter."""
    if name in ignored:
        return True
    if name == "category":
        return token_matches(_codings(resource.get("category")), value)
    if name == "code":
        return token_matches(_codings(resource.get("code")), value)
    if name in ("intent", "status"):
        return str(resource.get(name)) in value.split(",")
    if name == "identifier":
        ids = [i for i in resource.get("identifier") or [] if isinstance(i, dict)]
        return token_matches(ids, value, value_key="value")
    if name == "date":
        return date_matches(resource, value)
    return True


def select(
    resources: Iterable[Resource], params: list[tuple[str, str]], ignored: frozenset[str]
) -> list[Resource]:
    """The resources that satisfy every applied parameter (FHIR ANDs repeated parameters)."""
    applied = [(k.split(":")[0], v) for k, v in params if k.split(":")[0] in APPLIED_HERE]
    return [r for r in resources if all(matches(r, k, v, ignored) for k, v in applied)]
