"""Turn a FHIR error response into text a person can act on.

FHIR servers explain failures in an OperationOutcome (https://hl7.org/fhir/R4/operationoutcome.html);
we surface its ``diagnostics`` / ``details.text`` instead of a bare status code.
"""

from __future__ import annotations

import json
from typing import Any

_MAX_OUTCOME_CHARS = 500


def operation_outcome_text(body: str | bytes | None) -> str | None:
    """Return the issues of an OperationOutcome as one line, or None if ``body`` is not one."""
    if not body:
        return None
    try:
        resource: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(resource, dict) or resource.get("resourceType") != "OperationOutcome":
        return None
    texts: list[str] = []
    for issue in resource.get("issue") or []:
        if not isinstance(issue, dict):
            continue
        details = issue.get("details")
        detail_text = details.get("text") if isinstance(details, dict) else None
        text = issue.get("diagnostics") or detail_text or issue.get("code")
        if isinstance(text, str) and text:
            severity = issue.get("severity")
            texts.append(f"{severity}: {text}" if isinstance(severity, str) else text)
    joined = "; ".join(texts)
    return joined[:_MAX_OUTCOME_CHARS] if joined else None


def error_issues(outcome: dict[str, Any]) -> list[dict[str, Any]]:
    """The issues of an OperationOutcome with severity error or fatal (a refusal that came as
    a 200 searchset entry, as Epic sends them)."""
    return [
        issue
        for issue in outcome.get("issue") or []
        if isinstance(issue, dict) and issue.get("severity") in {"error", "fatal"}
    ]
