"""A write the EHR refuses with 404, 405 or 422 ends on the read-only view, never an error page.

Epic answers an unsupported write with 404/405, Oracle Health an unprocessable one with 422;
before issue 11 only a 403 was handled and the clinician met a 502 page. An HTTP edge case of
the EHR's answer, so the EHR is the ``responses`` fake of the web tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import responses
from flask.testing import FlaskClient

from smart_app.synthetic import cohort
from tests.web.web_flow import World, build_world, csrf_token, full_launch, post_write


@pytest.fixture
def world() -> Iterator[World]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield build_world(cohort(as_of=date.today(), patients=2), rsps)


@pytest.mark.parametrize("status", [404, 405, 422])
def test_a_refused_write_ends_read_only_with_the_download(world: World, status: int) -> None:
    browser: FlaskClient = world.app.test_client()
    world.v2.fhir.transaction_status = status
    dashboard = full_launch(browser, world.v2)
    csrf_token(browser.get(dashboard).get_data(as_text=True))
    assert post_write(browser, dashboard) == (303, dashboard)
    page = browser.get(dashboard)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="read-only-notice"' in html
    assert f"The server refused the write (HTTP {status}" in html
    assert 'data-testid="write-plan"' not in html
    assert browser.get(f"{dashboard}/plan.json").status_code == 200
