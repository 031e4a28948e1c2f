"""Fixtures of the attack tests: the real app factory wired to one fake SMART EHR (``responses``),
with the settings each test needs (Redis when a test asks for it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import responses
from flask import Flask
from redis import Redis

from smart_app.app import create_app
from smart_app.auth import IssuerRegistry, MemoryTokenStore, RedisTokenStore, TokenStore
from smart_app.settings import Settings
from smart_app.synthetic import SyntheticPatient, cohort
from tests.web.web_fakes import FakeAuthServer, FakeFhir
from tests.web.web_flow import V2_ISS, V2_SCOPES, Ehr, registrations

V2_AUTH = "https://auth2.example"


@dataclass
class SecureWorld:
    app: Flask
    rsps: responses.RequestsMock
    ehr: Ehr
    store: TokenStore


@pytest.fixture(scope="session")
def few_patients() -> list[SyntheticPatient]:
    return cohort(as_of=date.today(), patients=2)


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


WorldFactory = Callable[..., SecureWorld]


@pytest.fixture
def make_world(rsps: responses.RequestsMock, few_patients: list[SyntheticPatient]) -> WorldFactory:
    """``make_world(redis_url=..., registry=..., **settings)``: the app and its fake EHR."""

    def build(
        *, registry: IssuerRegistry | None = None, redis_url: str | None = None, **values: Any
    ) -> SecureWorld:
        settings = Settings(secret_key="test-secret", redis_url=redis_url, **values)
        store: TokenStore = RedisTokenStore.from_url(redis_url) if redis_url else MemoryTokenStore()
        app = create_app(settings, store=store, registry=registry or registrations())
        app.config["TESTING"] = True
        ehr = Ehr(
            V2_ISS,
            FakeAuthServer(V2_AUTH, V2_ISS, scope=V2_SCOPES),
            FakeFhir(V2_ISS, few_patients),
        )
        ehr.auth.install(rsps, well_known=True, v2=True)
        ehr.fhir.install(rsps)
        return SecureWorld(app, rsps, ehr, store)

    return build


@pytest.fixture
def clean_redis(redis_url: str) -> Iterator[Redis]:
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    yield connection
    connection.close()
