"""Attacks on the launch and the write, cookies, headers, and secrets in logs and pages."""

from __future__ import annotations

import logging
import re

import pytest
from flask.testing import FlaskClient

from tests.web.web_fakes import query
from tests.web.web_flow import V2_ISS, World, finish_launch, full_launch, start_launch

SESSION_COOKIE = "msm_session"


def session_id(browser: FlaskClient) -> str | None:
    cookie = browser.get_cookie(SESSION_COOKIE)
    return cookie.value if cookie else None


def test_iss_not_on_allowlist_sends_nothing(world: World, browser: FlaskClient) -> None:
    for path in (
        "/launch?iss=https://evil.example/fhir&launch=x",
        "/launch?iss=http://169.254.169.254/",
    ):
        response = browser.get(path)
        assert response.status_code == 400
        assert "not registered" in response.get_data(as_text=True)
    assert len(world.rsps.calls) == 0


def test_ehr_launch_without_iss_is_refused(world: World, browser: FlaskClient) -> None:
    assert browser.get("/launch?launch=abc").status_code == 400
    assert len(world.rsps.calls) == 0


def test_replayed_state_is_refused(world: World, browser: FlaskClient) -> None:
    authorize_url = start_launch(browser, world.v2)
    finish_launch(browser, world.v2, authorize_url)
    state = query(authorize_url)["state"]
    replay = browser.get("/callback", query_string={"code": "CODE-2", "state": state})
    assert replay.status_code == 400
    assert len(world.v2.auth.token_requests) == 1


def test_state_from_another_session_is_refused(world: World) -> None:
    alice, mallory = world.app.test_client(), world.app.test_client()
    authorize_url = start_launch(alice, world.v2)
    state = query(authorize_url)["state"]
    stolen = mallory.get("/callback", query_string={"code": "CODE-x", "state": state})
    assert stolen.status_code == 400
    assert "another browser session" in stolen.get_data(as_text=True)
    assert world.v2.auth.token_requests == []


def test_callback_without_pending_launch_is_refused(world: World, browser: FlaskClient) -> None:
    """No pending launch = no PKCE verifier: the code is never exchanged."""
    response = browser.get("/callback", query_string={"code": "CODE-1", "state": "made-up"})
    assert response.status_code == 400
    assert browser.get("/callback?code=CODE-1").status_code == 400
    assert world.v2.auth.token_requests == []


def test_write_without_csrf_token_is_refused_and_sends_nothing(
    world: World, browser: FlaskClient
) -> None:
    dashboard = full_launch(browser, world.v2)
    browser.get(dashboard)
    calls = len(world.rsps.calls)
    response = browser.post(f"{dashboard}/write", headers={"Origin": "http://localhost"})
    assert response.status_code == 400
    assert len(world.rsps.calls) == calls
    assert world.v2.fhir.transactions == []


def test_write_from_another_origin_is_refused(world: World, browser: FlaskClient) -> None:
    dashboard = full_launch(browser, world.v2)
    html = browser.get(dashboard).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    calls = len(world.rsps.calls)
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/x"}, {}):
        response = browser.post(
            f"{dashboard}/write", data={"csrf_token": token.group(1)}, headers=headers
        )
        assert response.status_code == 403
    assert len(world.rsps.calls) == calls


def test_no_open_redirects(world: World, browser: FlaskClient) -> None:
    response = browser.get(
        "/launch", query_string={"iss": V2_ISS, "launch": "x", "next": "https://evil.example"}
    )
    assert response.headers["Location"].startswith(world.v2.auth.authorize_endpoint)
    assert "evil" not in response.headers["Location"]
    world.v2.auth.remember_nonce(response.headers["Location"])
    state = query(response.headers["Location"])["state"]
    callback = browser.get(
        "/callback",
        query_string={
            "code": "C",
            "state": state,
            "iss": world.v2.auth.issuer,
            "redirect_uri": "https://evil.example",
            "next": "https://evil.example",
        },
    )
    assert callback.status_code == 303
    assert callback.headers["Location"].startswith("/app/")


def test_session_id_rotated_after_login_and_old_id_dead(world: World, browser: FlaskClient) -> None:
    authorize_url = start_launch(browser, world.v2)
    before = session_id(browser)
    assert before
    dashboard = finish_launch(browser, world.v2, authorize_url)
    after = session_id(browser)
    assert after
    assert after != before
    assert world.store.get(f"session:{before}") is None
    fixated = world.app.test_client()
    fixated.set_cookie(SESSION_COOKIE, before)
    assert fixated.get(dashboard).status_code == 404


def test_two_patients_in_one_browser_never_mix(world: World, browser: FlaskClient) -> None:
    world.v2.auth.patient = "msm-001"
    first = full_launch(browser, world.v2, launch="L-1")
    world.v2.auth.patient = "msm-003"
    second = full_launch(browser, world.v2, launch="L-2")
    assert first != second
    tokens_before = len(world.v2.fhir.authorizations)
    page_one = browser.get(first).get_data(as_text=True)
    used_first = set(world.v2.fhir.authorizations[tokens_before:])
    tokens_mid = len(world.v2.fhir.authorizations)
    page_two = browser.get(second).get_data(as_text=True)
    used_second = set(world.v2.fhir.authorizations[tokens_mid:])
    assert "Test Msm001" in page_one
    assert "Test Msm003" not in page_one
    assert "Test Msm003" in page_two
    assert "Test Msm001" not in page_two
    assert used_first == {"Bearer AT-auth2.example-1"}
    assert used_second == {"Bearer AT-auth2.example-2"}
    # another browser cannot open either launch
    other = world.app.test_client()
    assert other.get(first).status_code == 404
    assert other.get(f"{second}/plan.json").status_code == 404


def test_cookie_flags(world: World, browser: FlaskClient) -> None:
    response = browser.get("/launch", query_string={"iss": V2_ISS, "launch": "x"})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for flag in ("Secure", "HttpOnly", "SameSite=None", "Path=/"):
        assert flag in cookie
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value)  # only an opaque id, no data


def test_security_headers(world: World, browser: FlaskClient) -> None:
    response = browser.get("/healthz")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'self' https://ehr2.example https://ehr1.example" in csp
    assert "open.example" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_no_secrets_in_logs_or_pages(
    world: World, browser: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    world.v2.auth.expires_in = 5
    authorize_url = start_launch(browser, world.v2)
    state = query(authorize_url)["state"]
    bodies = []
    dashboard = finish_launch(browser, world.v2, authorize_url)
    world.v2.auth.expires_in = 3600
    bodies.append(browser.get(dashboard).get_data(as_text=True))
    html = bodies[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    write = browser.post(
        f"{dashboard}/write",
        data={"csrf_token": token.group(1)},
        headers={"Origin": "http://localhost"},
    )
    bodies.append(write.get_data(as_text=True))
    bodies.append(browser.get(dashboard).get_data(as_text=True))
    bodies.append(browser.get(f"{dashboard}/plan.json").get_data(as_text=True))
    verifier = world.v2.auth.token_requests[0]["code_verifier"]
    code = world.v2.auth.token_requests[0]["code"]
    secrets = [verifier, code, state, *world.v2.auth.issued_tokens()[:2]]
    secrets += ["RT-auth2.example-1", "AT-auth2.example-2", "RT-auth2.example-2"]
    logs = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert "plan write" in logs  # the audit line is there...
    for secret in secrets:
        assert secret not in logs  # ...but no token, code, verifier or state
        for body in bodies:
            assert secret not in body


def test_request_log_redacts_callback_query() -> None:
    from smart_app.web.security import redact_log_text

    line = '"GET /callback?code=abc123&state=xyz HTTP/1.1" 303 -'
    cleaned = redact_log_text(line)
    assert "abc123" not in cleaned
    assert "xyz" not in cleaned
    assert "/callback?[redacted]" in cleaned
