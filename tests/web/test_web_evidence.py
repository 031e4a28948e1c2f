"""The evidence page: a dashboard reference opens the resource, read with the launch's token.

It serves only the resource types the engine reads and only the launched patient's, so it cannot
be used to read other records through the app.
"""

from __future__ import annotations

import html
import re

import pytest
from flask.testing import FlaskClient

from tests.web.web_flow import OPEN_ISS, V2_ISS, World, full_launch, post_write


def evidence_links(html: str) -> list[str]:
    return re.findall(r'<a class="ref" href="([^"]+)"', html)


def fhir_gets(world: World) -> list[str]:
    return [str(c.request.url) for c in world.rsps.calls if c.request.method == "GET"]


def test_every_evidence_reference_links_to_the_app_and_opens_the_resource(
    world: World, browser: FlaskClient
) -> None:
    dashboard = full_launch(browser, world.v2)
    page_html = browser.get(dashboard).get_data(as_text=True)
    links = evidence_links(page_html)
    assert links, "the dashboard links its evidence"
    assert all(link.startswith(f"{dashboard}/evidence/") for link in links)
    assert f'href="{V2_ISS}/' not in page_html, (
        "no link straight to the FHIR server (no token there)"
    )

    edss = next(link for link in links if "/evidence/Observation/" in link)
    reference = edss.split("/evidence/", 1)[1]
    tokens_before = len(world.v2.fhir.authorizations)
    page = browser.get(edss)
    assert page.status_code == 200
    text = html.unescape(page.get_data(as_text=True))
    assert f'data-ref="{reference}"' in text
    assert '"resourceType": "Observation"' in text
    assert "<dt>When</dt>" in text
    assert "<dt>Value</dt>" in text
    assert f'href="{dashboard}"' in text, "a way back to the dashboard"
    assert world.v2.fhir.authorizations[tokens_before:] == [world.v2.fhir.authorizations[0]], (
        "one read, with the launch's own token"
    )
    assert fhir_gets(world)[-1] == f"{V2_ISS}/{reference}"


def test_an_open_server_launch_links_its_evidence_in_the_app_too(
    world: World, browser: FlaskClient
) -> None:
    response = browser.get("/launch", query_string={"iss": OPEN_ISS, "patient": "msm-002"})
    dashboard = response.headers["Location"]
    links = evidence_links(browser.get(dashboard).get_data(as_text=True))
    assert links
    page = browser.get(links[0])
    assert page.status_code == 200
    assert "Patient/msm-002" in html.unescape(page.get_data(as_text=True))


def test_another_patients_resource_is_refused_and_not_shown(
    world: World, browser: FlaskClient
) -> None:
    dashboard = full_launch(browser, world.v2)  # the launch is for msm-001
    other = next(
        r for r in world.v2.fhir.patients[1].resources if r["resourceType"] == "Observation"
    )
    page = browser.get(f"{dashboard}/evidence/Observation/{other['id']}")
    assert page.status_code == 403
    text = html.unescape(page.get_data(as_text=True))
    assert "does not belong to the patient of this launch" in text
    assert '"resourceType"' not in text
    assert "Patient/msm-002" not in text, "nothing of the other record is shown"


@pytest.mark.parametrize(
    "path",
    [
        "Patient/msm-002",  # not a type the engine reads
        "Binary/x",
        "Observation/..%2F..%2FPatient",  # not a FHIR id
        "Observation/" + "a" * 65,
        "Observation/a%3Fpatient%3Dmsm-002",
    ],
)
def test_what_the_page_does_not_serve_is_404_without_a_fhir_request(
    world: World, browser: FlaskClient, path: str
) -> None:
    dashboard = full_launch(browser, world.v2)
    browser.get(dashboard)
    before = len(world.rsps.calls)
    page = browser.get(f"{dashboard}/evidence/{path}")
    assert page.status_code == 404
    assert len(world.rsps.calls) == before, "nothing was asked of the FHIR server"


def test_another_browser_cannot_open_a_launchs_evidence(world: World, browser: FlaskClient) -> None:
    dashboard = full_launch(browser, world.v2)
    link = evidence_links(browser.get(dashboard).get_data(as_text=True))[0]
    before = len(world.rsps.calls)
    stranger = world.app.test_client()
    assert stranger.get(link).status_code == 404
    assert len(world.rsps.calls) == before


def test_a_resource_gone_from_the_server_is_the_servers_error(
    world: World, browser: FlaskClient
) -> None:
    dashboard = full_launch(browser, world.v2)
    page = browser.get(f"{dashboard}/evidence/Observation/no-such-observation")
    assert page.status_code == 502
    assert "not found" in page.get_data(as_text=True)


def test_the_written_plan_links_its_careplan_and_tasks(world: World, browser: FlaskClient) -> None:
    dashboard = full_launch(browser, world.v2)
    status, _ = post_write(browser, dashboard)
    assert status == 303
    page_html = browser.get(dashboard).get_data(as_text=True)
    plan_table = page_html.split('id="existing-plan"', 1)[1].split("</table>", 1)[0]
    links = evidence_links(plan_table)
    assert any("/evidence/CarePlan/" in link for link in links)
    task = next(link for link in links if "/evidence/Task/" in link)
    page = browser.get(task)
    assert page.status_code == 200
    assert '"resourceType": "Task"' in html.unescape(page.get_data(as_text=True))
