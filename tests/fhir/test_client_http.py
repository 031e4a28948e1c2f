"""HTTP edge cases of the FHIR client, mocked at the transport with ``responses``.

The happy paths run against the real HAPI server in tests/integration.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from smart_app.errors import FhirAuthError, FhirFatalError, FhirTemporaryError
from smart_app.fhir import FhirClient

BASE = "https://ehr.example.org/fhir"

OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "processing", "diagnostics": "Unknown search param"}],
}


def searchset(resources: list[dict[str, Any]], next_url: str | None = None) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record urllib3's back-off sleeps instead of waiting."""
    slept: list[float] = []
    monkeypatch.setattr("urllib3.util.retry.time.sleep", slept.append)
    return slept


class ThrottleOnce(BaseHTTPRequestHandler):
    """Answers 429 with Retry-After the first time, then a Patient."""

    calls = 0

    def do_GET(self) -> None:
        type(self).calls += 1
        if type(self).calls == 1:
            self.send_response(429)
            self.send_header("Retry-After", "7")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'{"resourceType": "Patient", "id": "1"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


def test_429_is_retried_after_the_servers_retry_after(no_sleep: list[float]) -> None:
    """Real urllib3 transport on loopback: ``responses`` does not run urllib3's back-off."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), ThrottleOnce)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/fhir"
        patient = FhirClient(base).read("Patient", "1")
    finally:
        server.shutdown()
        server.server_close()
    assert patient["id"] == "1"
    assert ThrottleOnce.calls == 2
    assert no_sleep == [7.0]


@responses.activate
def test_503_until_retries_run_out_is_a_temporary_error(no_sleep: list[float]) -> None:
    responses.get(f"{BASE}/metadata", status=503, json=OUTCOME)
    with pytest.raises(FhirTemporaryError) as raised:
        FhirClient(BASE, retries=2).capabilities()
    assert len(responses.calls) == 3
    assert raised.value.status == 503
    assert raised.value.temporary


@responses.activate
def test_400_carries_the_operation_outcome_text_and_is_not_retried() -> None:
    responses.get(f"{BASE}/Observation", status=400, json=OUTCOME)
    with pytest.raises(FhirFatalError) as raised:
        list(FhirClient(BASE).search("Observation", {"bogus": "1"}))
    assert len(responses.calls) == 1
    assert "error: Unknown search param" in str(raised.value)
    assert not raised.value.temporary


class OneRefresh:
    def __init__(self) -> None:
        self.token = "old-token"
        self.refreshes = 0

    def authorization(self) -> str:
        return f"Bearer {self.token}"

    def refresh(self) -> bool:
        self.refreshes += 1
        self.token = "new-token"
        return True


@responses.activate
def test_401_refreshes_the_token_once_and_retries_with_the_new_one() -> None:
    responses.get(
        f"{BASE}/Patient/1",
        status=401,
        match=[matchers.header_matcher({"Authorization": "Bearer old-token"})],
    )
    responses.get(
        f"{BASE}/Patient/1",
        json={"resourceType": "Patient", "id": "1"},
        match=[matchers.header_matcher({"Authorization": "Bearer new-token"})],
    )
    tokens = OneRefresh()
    assert FhirClient(BASE, token_source=tokens).read("Patient", "1")["id"] == "1"
    assert tokens.refreshes == 1


@responses.activate
def test_a_second_401_is_an_auth_error_not_a_loop() -> None:
    responses.get(f"{BASE}/Patient/1", status=401)
    tokens = OneRefresh()
    with pytest.raises(FhirAuthError):
        FhirClient(BASE, token_source=tokens).read("Patient", "1")
    assert tokens.refreshes == 1
    assert len(responses.calls) == 2


@responses.activate
def test_search_follows_next_links_on_the_same_server() -> None:
    page2 = f"{BASE}?_getpages=abc&_getpagesoffset=1"
    responses.get(
        f"{BASE}/Observation", json=searchset([{"resourceType": "Observation", "id": "a"}], page2)
    )
    responses.get(page2, json=searchset([{"resourceType": "Observation", "id": "b"}]))
    ids = [r["id"] for r in FhirClient(BASE).search("Observation", {"patient": "p1"})]
    assert ids == ["a", "b"]


@responses.activate
def test_a_next_link_to_another_server_is_refused_so_no_token_leaks() -> None:
    evil = "https://attacker.example.net/steal?page=2"
    responses.get(f"{BASE}/Observation", json=searchset([], evil))
    with pytest.raises(FhirFatalError, match="another server"):
        list(FhirClient(BASE).search("Observation"))
    assert all(call.request.url and "attacker" not in call.request.url for call in responses.calls)


@responses.activate
def test_malformed_payloads_are_clear_errors() -> None:
    responses.get(f"{BASE}/Patient/1", body="<html>proxy error</html>")
    responses.get(f"{BASE}/Patient/2", json=["not", "a", "resource"])
    client = FhirClient(BASE)
    with pytest.raises(FhirFatalError, match="not JSON"):
        client.read("Patient", "1")
    with pytest.raises(FhirFatalError, match="not a FHIR resource"):
        client.read("Patient", "2")


@responses.activate
def test_batch_get_sends_one_bundle_and_surfaces_a_failed_entry() -> None:
    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        sent = json.loads(request.body or b"{}")
        assert sent["type"] == "batch"
        assert [e["request"] for e in sent["entry"]] == [
            {"method": "GET", "url": "Patient/1"},
            {"method": "GET", "url": "Condition?patient=1"},
        ]
        reply = {
            "resourceType": "Bundle",
            "type": "batch-response",
            "entry": [
                {
                    "resource": {"resourceType": "Patient", "id": "1"},
                    "response": {"status": "200 OK"},
                },
                {"resource": OUTCOME, "response": {"status": "400 Bad Request"}},
            ],
        }
        return 200, {}, json.dumps(reply)

    responses.add_callback(responses.POST, BASE, callback=answer)
    with pytest.raises(FhirFatalError) as raised:
        FhirClient(BASE).batch_get(["Patient/1", "Condition?patient=1"])
    assert raised.value.status == 400
    assert raised.value.outcome == "error: Unknown search param"


@responses.activate
def test_timeouts_become_temporary_errors(no_sleep: list[float]) -> None:
    responses.get(f"{BASE}/metadata", body=requests.ReadTimeout("slow"))
    with pytest.raises(FhirTemporaryError, match="timed out"):
        FhirClient(BASE, retries=0).capabilities()


@responses.activate
def test_error_messages_do_not_echo_query_strings() -> None:
    responses.get(f"{BASE}/Patient", status=500, json=OUTCOME)
    with pytest.raises(FhirFatalError) as raised:
        list(FhirClient(BASE).search("Patient", {"name": "Doe"}))
    assert "Doe" not in str(raised.value)
