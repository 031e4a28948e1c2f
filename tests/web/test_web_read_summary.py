"""The dashboard says in one line how this server was read and what it did not give."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.web.web_flow import World, full_launch


def summary(html: str) -> str:
    found = re.search(r'data-testid="read-summary">([^<]*)<', html)
    assert found is not None, "no read summary on the dashboard"
    return found.group(1)


def batch_posts(world: World) -> int:
    """POSTs to the FHIR base itself (batch or transaction), not to the token endpoint."""
    return sum(
        1
        for c in world.rsps.calls
        if c.request.method == "POST" and str(c.request.url).rstrip("/") == world.v2.iss
    )


def test_dashboard_shows_how_the_record_was_read(world: World, browser: FlaskClient) -> None:
    html = browser.get(full_launch(browser, world.v2)).get_data(as_text=True)
    assert re.fullmatch(r"read \d+ searches in one batch", summary(html))


def test_a_refused_batch_is_read_in_parallel_and_said_so(
    world: World, browser: FlaskClient
) -> None:
    world.v2.fhir.batch_status = 404  # Epic's answer to a batch POST
    first = browser.get(full_launch(browser, world.v2))
    assert first.status_code == 200
    assert summary(first.get_data(as_text=True)).endswith("in parallel")
    posts = batch_posts(world)
    again = browser.get(full_launch(browser, world.v2, launch="L-456"))
    assert summary(again.get_data(as_text=True)).endswith("in parallel")
    # the refusal is remembered for the issuer: no second batch POST
    assert posts == 1
    assert batch_posts(world) == posts
