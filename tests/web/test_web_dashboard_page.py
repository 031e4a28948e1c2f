"""The dashboard page over HTTP: the summary line first, the write action next to it, evidence
and the plan named as what they are (the app against fake EHRs, ``responses``)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import responses
from flask.testing import FlaskClient

from smart_app.synthetic import SCENARIO_NAMES, SyntheticPatient, cohort, patient_id
from smart_app.web.runtime import EXTENSION
from tests.web.web_flow import OPEN_ISS, World, build_world, full_launch, post_write

SCENARIOS = ("benign-strict", "activity-relapse", "natalizumab-jcv-positive")


@pytest.fixture(scope="module")
def scenario_patients() -> list[SyntheticPatient]:
    last = max(SCENARIO_NAMES.index(name) for name in SCENARIOS)
    return cohort(as_of=date.today(), patients=last + 1)


@pytest.fixture
def page_world(scenario_patients: list[SyntheticPatient]) -> Iterator[World]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield build_world(scenario_patients, rsps)


def pid(scenario: str) -> str:
    return patient_id(SCENARIO_NAMES.index(scenario))


def open_page(world: World, scenario: str) -> str:
    browser = world.app.test_client()
    response = browser.get("/launch", query_string={"iss": OPEN_ISS, "patient": pid(scenario)})
    assert response.status_code in (302, 303)
    page = browser.get(response.headers["Location"])
    assert page.status_code == 200
    return page.get_data(as_text=True)


def element(page: str, element_id: str) -> str:
    match = re.search(rf'<[^>]+id="{element_id}"[^>]*>(.*?)</', page, re.S)
    assert match, element_id
    return html.unescape(" ".join(match.group(1).split()))


def test_benign_summary_comes_first_with_the_write_action_and_its_target(
    page_world: World,
) -> None:
    page = open_page(page_world, "benign-strict")
    summary_at = page.index('id="summary"')
    assert summary_at < page.index('id="classification"')
    assert summary_at < page.index('id="write-button"') < page.index('id="classification"')
    assert 'data-tone="ok"' in page
    assert element(page, "summary-status") == "Benign MS (strict)"
    assert element(page, "summary-reason").startswith("\N{EN DASH} EDSS 2.0 (≤ 3.0) after ")
    assert "No relapse" in element(page, "summary-activity")
    what = element(page, "write-what")
    assert what.startswith("Writes a new CarePlan and ")
    assert what.endswith("to the EHR's FHIR server.")


def test_active_benign_patient_is_under_review_never_green(page_world: World) -> None:
    page = open_page(page_world, "activity-relapse")
    assert 'data-under-review="true"' in page
    assert element(page, "summary-status") == "Benign MS (strict): under review"
    assert "tone-ok" not in page, "no reassuring colour anywhere on an active patient"
    assert element(page, "summary-activity").startswith("Active in the last 12 months: relapse ")
    assert "Benign MS: under review" in element(page, "classification-status")
    rows = re.findall(r'data-testid="recommendation" data-code="([^"]+)"', page)
    priorities = re.findall(r'<span class="priority priority-(\w+)">', page)
    assert priorities == sorted(priorities, key=lambda p: p != "urgent"), "urgent first"
    assert "reassess-benign-status" in rows[:2]
    next_code = re.search(r'id="summary-next" data-code="([^"]+)"', page)
    assert next_code
    assert next_code.group(1) == rows[0]


def test_evidence_is_named_as_what_it_is_and_still_links(page_world: World) -> None:
    page = open_page(page_world, "natalizumab-jcv-positive")
    link_texts = re.findall(r'<a class="ref" href="[^"]+" data-ref="([^"]+)">([^<]+)</a>', page)
    assert link_texts
    shown = {html.unescape(text) for _, text in link_texts}
    assert not [t for t in shown if re.fullmatch(r"[A-Za-z]+/[A-Za-z0-9.-]+", t)], shown
    assert any(re.fullmatch(r"natalizumab since \d{4}-\d\d-\d\d", t) for t in shown)
    assert any(re.fullmatch(r"Anti-JCV positive, \d{4}-\d\d-\d\d", t) for t in shown)
    assert any(re.fullmatch(r"Brain MRI \d{4}-\d\d-\d\d: .*", t) for t in shown)
    assert any(re.fullmatch(r"EDSS \d\.\d, \d{4}-\d\d-\d\d", t) for t in shown)


def test_written_plan_table_shows_action_status_and_due_not_ids(page_world: World) -> None:
    page_world.v2.auth.patient = pid("natalizumab-jcv-positive")
    browser: FlaskClient = page_world.app.test_client()
    dashboard = full_launch(browser, page_world.v2)
    status, _ = post_write(browser, dashboard)
    assert status == 303
    page = browser.get(dashboard).get_data(as_text=True)
    table = page.split('id="existing-plan"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-type="Task">(.*?)</tr>', table, re.S)
    assert rows
    for row in rows:
        cells = [
            html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td>(.*?)</td>", row)
        ]
        action, task_status, due = cells
        assert action.startswith("Task: ")
        assert "/" not in action
        assert task_status == "requested"
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", due)
    assert 'data-testid="write-plan"' not in page
    assert "Plan up to date in the EHR's FHIR server." in html.unescape(page)


def due_states(page: str) -> dict[str, tuple[str, str]]:
    """Action code -> (due state, what the When cell says)."""
    rows = re.findall(
        r'data-code="([^"]+)" data-due-state="([^"]+)"[^>]*>\s*<td>.*?</td>\s*<td>(.*?)</td>',
        page,
        re.S,
    )
    return {code: (state, cell_text(cell)) for code, state, cell in rows}


def cell_text(cell: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", cell))


def test_a_need_already_in_the_plan_is_overdue_later_a_new_one_only_due_now(
    page_world: World,
) -> None:
    rt = page_world.app.extensions[EXTENSION]
    page_world.v2.auth.patient = pid("benign-strict")
    browser: FlaskClient = page_world.app.test_client()
    dashboard = full_launch(browser, page_world.v2)
    later = date.today() + timedelta(days=500)  # past every due date of this patient's plan

    rt.today = lambda: later  # the same record, looked at 500 days on, before any write
    before = due_states(browser.get(dashboard).get_data(as_text=True))
    assert before
    assert {state for state, _ in before.values()} == {"due-now"}, before

    rt.today = date.today  # written today ...
    status, _ = post_write(browser, dashboard)
    assert status == 303
    rt.today = lambda: later  # ... and still open 500 days on: overdue since its due date
    after = due_states(browser.get(dashboard).get_data(as_text=True))
    assert after.keys() == before.keys()
    for code, (state, when) in after.items():
        assert state == "overdue", code
        assert re.fullmatch(r"overdue since \d{4}-\d\d-\d\d", when), when
        assert date.fromisoformat(when.rsplit(" ", 1)[1]) < later
