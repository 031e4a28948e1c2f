"""SMART resource scopes, v1 (``patient/Observation.read``) and v2 (``patient/Observation.rs``).

The sandbox grants, denies and enforces these; see
https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html. v1 ``read`` is v2 ``rs``,
v1 ``write`` is v2 ``cud``, ``*`` is ``cruds``. Granular v2 scopes with a query
(``patient/Observation.rs?category=...``) are recognised but grant nothing here: the sandbox would
have to filter by the query, and refusing is the safe side of a dev tool.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

CONTEXTS = ("patient", "user", "system")
V2_ORDER = "cruds"
V1_PERMISSIONS = {"read": "rs", "write": "cud", "*": V2_ORDER}

_SCOPE = re.compile(r"^(patient|user|system)/([A-Za-z]+|\*)\.([a-z*]+)(\?.*)?$")


@dataclass(frozen=True, slots=True)
class ResourceScope:
    """One parsed resource scope: its context, resource type (or ``*``) and permission letters."""

    context: str
    resource_type: str
    permissions: frozenset[str]
    text: str
    granular: bool = False

    def grants(self, resource_type: str, permission: str) -> bool:
        """Whether this scope allows ``permission`` (one of c r u d s) on ``resource_type``."""
        if self.granular:
            return False
        type_ok = self.resource_type in ("*", resource_type)
        return type_ok and permission in self.permissions

    def covers(self, other: ResourceScope) -> bool:
        """Whether this scope is at least as broad as ``other`` (context, type, permissions)."""
        return (
            self.context == other.context
            and self.resource_type in ("*", other.resource_type)
            and other.permissions <= self.permissions
            and (not self.granular or self.text == other.text)
        )


def parse_scope(text: str) -> ResourceScope | None:
    """Parse a resource scope; ``None`` for other scopes (``openid``, ``launch``...) or bad ones."""
    match = _SCOPE.match(text)
    if match is None:
        return None
    context, resource_type, permission, query = match.groups()
    if permission in V1_PERMISSIONS:
        letters = V1_PERMISSIONS[permission]
    elif _is_v2_permission(permission):
        letters = permission
    else:
        return None
    return ResourceScope(
        context=context,
        resource_type=resource_type,
        permissions=frozenset(letters),
        text=text,
        granular=query is not None,
    )


def _is_v2_permission(letters: str) -> bool:
    """v2 letters are a non-empty subsequence of ``cruds``, in that order, without repeats."""
    position = 0
    for letter in letters:
        found = V2_ORDER.find(letter, position)
        if found < 0:
            return False
        position = found + 1
    return bool(letters)


def split_scopes(scope: str | None) -> list[str]:
    """Scopes as a list, in request order, without duplicates."""
    seen: dict[str, None] = {}
    for item in (scope or "").split():
        seen.setdefault(item, None)
    return list(seen)


def same_scope(a: str, b: str) -> bool:
    """Equal scopes, treating v1 and v2 spellings of the same permissions as equal."""
    if a == b:
        return True
    parsed_a, parsed_b = parse_scope(a), parse_scope(b)
    if parsed_a is None or parsed_b is None or parsed_a.granular or parsed_b.granular:
        return False
    return (
        parsed_a.context == parsed_b.context
        and parsed_a.resource_type == parsed_b.resource_type
        and parsed_a.permissions == parsed_b.permissions
    )


def remove_denied(scopes: Iterable[str], denied: Iterable[str]) -> list[str]:
    """The scopes without the denied ones (error injection ``deny_scope``)."""
    denied_list = list(denied)
    return [scope for scope in scopes if not any(same_scope(scope, d) for d in denied_list)]


@dataclass(frozen=True, slots=True)
class ScopeDecision:
    """Whether a token may do ``permission`` on a type, and if only in its patient compartment."""

    allowed: bool
    patient_only: bool


def decide(granted: Iterable[str], resource_type: str, permission: str) -> ScopeDecision:
    """Check the granted scopes: ``user/`` or ``system/`` scopes lift the compartment limit."""
    contexts = set()
    for text in granted:
        parsed = parse_scope(text)
        if parsed is not None and parsed.grants(resource_type, permission):
            contexts.add(parsed.context)
    if contexts & {"user", "system"}:
        return ScopeDecision(allowed=True, patient_only=False)
    if "patient" in contexts:
        return ScopeDecision(allowed=True, patient_only=True)
    return ScopeDecision(allowed=False, patient_only=False)


def allowed_by(patterns: Iterable[str], requested: str) -> bool:
    """Whether a client registered for ``patterns`` may ask for ``requested``."""
    wanted = parse_scope(requested)
    for pattern in patterns:
        if pattern == requested:
            return True
        registered = parse_scope(pattern)
        if wanted is not None and registered is not None and registered.covers(wanted):
            return True
    return False
