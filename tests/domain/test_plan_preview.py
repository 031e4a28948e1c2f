"""The dashboard's unvalidated preview of a plan says exactly what the validated write would do."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from smart_app.domain import EvaluationContext, evaluate_patient, plan_transaction
from smart_app.synthetic import cohort

AS_OF = date(2026, 11, 24)


def requests_of(bundle: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    if bundle is None:
        return []
    return [
        (e["request"]["method"], e["request"]["url"], e["request"].get("ifNoneExist", ""))
        for e in bundle["entry"]
    ]


@pytest.mark.parametrize("member", cohort(as_of=AS_OF), ids=lambda m: m.scenario)
def test_preview_and_write_plan_the_same_requests(member: Any) -> None:
    report = evaluate_patient(member.resources, EvaluationContext(AS_OF))
    written = plan_transaction(report, [], validate=True)
    preview = plan_transaction(report, [], validate=False)
    assert requests_of(preview.bundle) == requests_of(written.bundle)
    assert (preview.careplan, preview.created) == (written.careplan, written.created)
    if written.bundle is not None and preview.bundle is not None:
        for sent, shown in zip(written.bundle["entry"], preview.bundle["entry"], strict=True):
            assert sent["resource"] == shown["resource"], "the R4B round trip changes nothing"
