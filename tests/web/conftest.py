"""Fixtures of the web tests: the app wired to fake SMART EHRs (``responses``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import responses
from flask.testing import FlaskClient

from smart_app.synthetic import SyntheticPatient, cohort
from tests.web.web_flow import World, build_world


@pytest.fixture(scope="session")
def patients() -> list[SyntheticPatient]:
    return cohort(as_of=date.today(), patients=4)


@pytest.fixture
def world(patients: list[SyntheticPatient]) -> Iterator[World]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield build_world(patients, rsps)


@pytest.fixture
def browser(world: World) -> FlaskClient:
    return world.app.test_client()
