"""Plan targets from a server profile and the grant; the plan store's reference translation."""

from __future__ import annotations

from typing import Any

from smart_app.fhir.server_profile import ServerProfile, TypeSupport, decide_profile
from smart_app.service.plan_store import PatientLink, store_transaction, translate
from smart_app.service.plan_targets import decide_targets

CRUD = frozenset({"read", "search-type", "create", "update"})


def profile(
    *, conditional: bool, transaction: bool = True, granted: frozenset[str] | None = None
) -> ServerProfile:
    types = {
        "CarePlan": TypeSupport(CRUD, frozenset({"patient"}), conditional_create=conditional),
        "Task": TypeSupport(CRUD, frozenset({"patient"}), conditional_create=conditional),
        "DocumentReference": TypeSupport(
            frozenset({"read", "search-type", "create"}), frozenset({"patient", "category"})
        ),
        "Provenance": TypeSupport(frozenset({"read", "create"})),
        "Communication": TypeSupport(frozenset({"read", "create"})),
    }
    return ServerProfile(
        issuer="https://ehr.example/fhir",
        types=types,
        transaction=transaction,
        granted=granted or frozenset(),
        open_server=granted is None,
    )


def test_an_open_server_with_conditional_create_keeps_the_plan() -> None:
    targets = decide_targets(profile(conditional=True), plan_store=True)
    assert targets.names == ("ehr",)


def test_without_conditional_create_the_plan_goes_to_the_store_with_a_note() -> None:
    targets = decide_targets(profile(conditional=False), plan_store=True)
    assert targets.names == ("plan-store", "ehr-note")
    assert targets.note_provenance
    assert not targets.inbox
    inbox = decide_targets(profile(conditional=False), plan_store=True, inbox_offered=True)
    assert inbox.inbox


def test_scopes_decide_too() -> None:
    granted = frozenset({"patient/*.rs", "patient/DocumentReference.c"})
    targets = decide_targets(profile(conditional=True, granted=granted), plan_store=True)
    assert targets.names == ("plan-store", "ehr-note")  # no CarePlan/Task write granted
    assert not targets.note_provenance  # no Provenance create granted
    no_note = decide_targets(
        profile(conditional=True, granted=frozenset({"patient/*.rs"})), plan_store=True
    )
    assert no_note.names == ("plan-store",)


def test_without_a_plan_store_it_is_a_download_and_says_why() -> None:
    targets = decide_targets(profile(conditional=False), plan_store=False)
    assert targets.names == ("download",)
    assert any("MS_MONITOR_PLAN_STORE_URL" in line for line in targets.describe())


def test_epic_statement_has_no_conditional_create() -> None:
    statement: dict[str, Any] = {
        "rest": [
            {
                "mode": "server",
                "interaction": [{"code": "transaction"}],
                "resource": [
                    {
                        "type": t,
                        "interaction": [{"code": "create"}, {"code": "update"}],
                        "conditionalCreate": False,
                    }
                    for t in ("CarePlan", "Task")
                ],
            }
        ]
    }
    epic = decide_profile("https://epic.example/fhir", statement, None, None)
    assert decide_targets(epic, plan_store=True).plan == "plan-store"


LINK = PatientLink("https://ehr.example/fhir", "p1", "link-9")


def test_references_move_into_the_store_and_back() -> None:
    task = {
        "resourceType": "Task",
        "for": {"reference": "Patient/p1"},
        "basedOn": [{"reference": "CarePlan/7"}],
        "output": [{"valueReference": {"reference": "Observation/edss-1"}}],
        "focus": {"reference": "urn:uuid:abc"},
    }
    stored = translate(task, LINK.to_store)
    assert stored["for"] == {"reference": "Patient/link-9"}
    assert stored["basedOn"] == [{"reference": "CarePlan/7"}]
    assert stored["output"][0]["valueReference"]["reference"] == (
        "https://ehr.example/fhir/Observation/edss-1"
    )
    assert stored["focus"] == {"reference": "urn:uuid:abc"}
    assert translate(stored, LINK.from_store) == task


def test_conditional_creates_are_scoped_to_the_patient_link() -> None:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": {"resourceType": "Task", "for": {"reference": "Patient/p1"}},
                "request": {"method": "POST", "url": "Task", "ifNoneExist": "identifier=s|v"},
            }
        ],
    }
    moved = store_transaction(bundle, LINK)
    assert moved["entry"][0]["request"]["ifNoneExist"] == "identifier=s|v&patient=Patient/link-9"
    assert bundle["entry"][0]["request"]["ifNoneExist"] == "identifier=s|v"  # not mutated
