"""``[type]/$validate?profile=`` on a FHIR server, with the outcome split by severity.

FHIR R4 resource-operation-validate: a server may answer 200 with an OperationOutcome that lists
errors, or a 4xx (HAPI: 412 Precondition Failed) carrying the same OperationOutcome. Both are a
validation answer, not a transport failure, so both become a :class:`ValidationResult`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smart_app.errors import FhirFatalError
from smart_app.fhir import FhirClient

ERROR_SEVERITIES = frozenset({"error", "fatal"})
#: Statuses with which a server says "invalid" instead of 200 + OperationOutcome.
INVALID_STATUSES = frozenset({400, 412, 422})


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Issues of one $validate call, as ``severity: location: message`` lines."""

    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    information: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.errors


def _line(issue: Mapping[str, Any]) -> str:
    places = issue.get("expression") or issue.get("location") or []
    location = ", ".join(str(x) for x in places if not str(x).startswith("Line["))
    text = issue.get("diagnostics") or (issue.get("details") or {}).get("text") or ""
    return f"{location}: {text}" if location else str(text)


def outcome_result(outcome: Mapping[str, Any]) -> ValidationResult:
    """Split an OperationOutcome's issues into errors, warnings and information."""
    errors: list[str] = []
    warnings: list[str] = []
    information: list[str] = []
    for issue in outcome.get("issue") or []:
        severity = issue.get("severity")
        if severity in ERROR_SEVERITIES:
            errors.append(_line(issue))
        elif severity == "warning":
            warnings.append(_line(issue))
        else:
            information.append(_line(issue))
    return ValidationResult(tuple(errors), tuple(warnings), tuple(information))


def validate(client: FhirClient, resource: Mapping[str, Any], profile: str) -> ValidationResult:
    """Validate ``resource`` against the StructureDefinition ``profile`` (a canonical URL)."""
    try:
        outcome = client.operation(
            f"{resource['resourceType']}/$validate", body=resource, params={"profile": profile}
        )
    except FhirFatalError as exc:
        if exc.status not in INVALID_STATUSES:
            raise
        # The client keeps only the OperationOutcome's text: one error line per rejection.
        return ValidationResult((exc.outcome or str(exc),), (), ())
    return outcome_result(outcome)
