"""The sandbox proxy lets a plan's Provenance through only with the writes it records."""

from __future__ import annotations

from typing import Any

import pytest

from launch.sandbox.access import Grant, Refused, check_bundle

GRANT = Grant(frozenset({"patient/CarePlan.cu", "patient/Task.cu", "patient/Provenance.c"}), "p1")


def transaction(provenance_targets: list[str]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:careplan",
                "resource": {
                    "resourceType": "CarePlan",
                    "status": "active",
                    "intent": "plan",
                    "subject": {"reference": "Patient/p1"},
                },
                "request": {"method": "POST", "url": "CarePlan"},
            },
            {
                "fullUrl": "urn:uuid:provenance",
                "resource": {
                    "resourceType": "Provenance",
                    "target": [{"reference": t} for t in provenance_targets],
                },
                "request": {"method": "POST", "url": "Provenance"},
            },
        ],
    }


def no_existing(resource_type: str, resource_id: str) -> None:
    return None


def test_provenance_of_the_same_transaction_passes() -> None:
    checked = check_bundle(GRANT, transaction(["urn:uuid:careplan"]), fetch_existing=no_existing)
    assert [e["request"]["url"] for e in checked["entry"]][1] == "Provenance"


@pytest.mark.parametrize(
    "targets",
    [["CarePlan/of-another-patient"], ["urn:uuid:careplan", "Task/elsewhere"], []],
    ids=["foreign-target", "one-foreign-target", "no-target"],
)
def test_provenance_about_anything_else_is_refused(targets: list[str]) -> None:
    with pytest.raises(Refused):
        check_bundle(GRANT, transaction(targets), fetch_existing=no_existing)


def test_provenance_needs_its_own_scope() -> None:
    without = Grant(frozenset({"patient/CarePlan.cu"}), "p1")
    with pytest.raises(Refused):
        check_bundle(without, transaction(["urn:uuid:careplan"]), fetch_existing=no_existing)
