"""Action codes and priorities live in one place (domain/actions.py); the published CodeSystem
and ActivityDefinitions agree with it."""

from __future__ import annotations

import pytest

from smart_app.domain.actions import ACTION_CODES, BASE_PRIORITY, priority
from smart_app.domain.terminology import read_conformance


def test_code_system_lists_the_action_codes_in_order() -> None:
    concepts = read_conformance("CodeSystem", "ms-monitoring-action")["concept"]
    assert tuple(c["code"] for c in concepts) == ACTION_CODES


@pytest.mark.parametrize("code", ACTION_CODES)
def test_activity_definition_priority_is_the_base_priority(code: str) -> None:
    assert read_conformance("ActivityDefinition", code)["priority"] == BASE_PRIORITY[code]


@pytest.mark.parametrize(
    ("code", "overdue", "expected"),
    [
        ("neuro-review", False, "routine"),
        ("neuro-review", True, "urgent"),
        ("mri-brain", True, "urgent"),
        ("jcv-serology", False, "routine"),
        ("jcv-serology", True, "urgent"),
        ("symptom-screen", True, "routine"),
        ("confirm-edss", True, "routine"),
        ("review-dmt", False, "urgent"),
        ("mri-pml-surveillance", False, "urgent"),
    ],
)
def test_priority_policy(code: str, overdue: bool, expected: str) -> None:
    assert priority(code, overdue=overdue) == expected
