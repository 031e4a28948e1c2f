"""Each emulated EHR answers as the vendor facts say: one table, on real HAPI behind the proxy.

Every row of :data:`tests.ehr.vendor_facts.FACTS` is one fact of a vendor's table
(launch/sandbox/ehr/<vendor>.py), a request and what must come back. ``{pid}`` is a fresh
patient written to HAPI for this module.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.ehr.ehr_helpers import ehr_sandbox, write_chart
from tests.ehr.fact_checks import Fact
from tests.ehr.vendor_facts import FACTS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def patient(fhir_base_url: str) -> str:
    return write_chart(fhir_base_url)


def _fill(value: Any, pid: str) -> Any:
    if isinstance(value, str):
        return value.replace("{pid}", pid)
    if isinstance(value, dict):
        return {k: _fill(v, pid) for k, v in value.items()}
    return value


@pytest.mark.parametrize("fact", FACTS, ids=[f"{f.ehr}: {f.fact}" for f in FACTS])
def test_vendor_fact(fact: Fact, fhir_base_url: str, patient: str) -> None:
    ehr = ehr_sandbox(fhir_base_url, fact.ehr, patient, scope=fact.scope)
    headers = ehr.headers(**fact.headers)
    path = f"/fhir/{_fill(fact.path, patient)}".rstrip("/")
    body = _fill(fact.body, patient) if fact.body is not None else None
    response = ehr.client.open(path, method=fact.method, headers=headers, json=body)
    assert response.status_code == fact.status, response.get_data(as_text=True)[:500]
    if fact.check is not None:
        fact.check(response, ehr)
