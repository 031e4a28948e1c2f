"""Defence in depth: redaction of child loggers, discovery endpoint rules (plain-http loopback only
for a loopback FHIR base, the OIDC issuer too), HSTS and the Origin check behind a TLS proxy, and
no implicit anonymous launch target."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from smart_app.auth import ClientRegistration, IssuerRegistry, SmartClient
from smart_app.auth.discovery import SmartConfiguration, from_well_known
from smart_app.errors import AuthError
from smart_app.settings import Settings
from tests.security.conftest import WorldFactory
from tests.web.web_flow import full_launch, post_write

HTTPS_BASE = "https://ehr.example.org/fhir"
LOOPBACK_BASE = "http://127.0.0.1:8080/fhir"
PUBLIC = "https://ms-monitor.example.org"
JWT = "eyJhbGciOiJSUzM4NCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


@pytest.fixture
def root_output() -> Iterator[io.StringIO]:
    """A handler on the root logger, as an operator's logging configuration would add."""
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    logging.root.addHandler(handler)
    try:
        yield output
    finally:
        logging.root.removeHandler(handler)


@pytest.mark.parametrize("name", ["smart_app.web.launch", "smart_app.web.added_later"])
def test_child_loggers_are_redacted_at_the_handler(
    make_world: WorldFactory, root_output: io.StringIO, name: str
) -> None:
    make_world()  # the app factory installs the redaction
    logging.getLogger(name).warning(
        "GET /callback?code=abc123&state=st4te Authorization: Bearer tok-999 id_token %s", JWT
    )
    text = root_output.getvalue()
    assert "GET /callback?" in text
    for secret in ("abc123", "st4te", "tok-999", JWT):
        assert secret not in text


def well_known(**endpoints: str) -> dict[str, Any]:
    return {
        "authorization_endpoint": "https://ehr.example.org/authorize",
        "token_endpoint": "https://ehr.example.org/token",
        "code_challenge_methods_supported": ["S256"],
        **endpoints,
    }


@pytest.mark.parametrize(
    "endpoints",
    [
        {"authorization_endpoint": "http://127.0.0.1:9000/authorize"},
        {"token_endpoint": "http://localhost:9000/token"},
        {"jwks_uri": "http://[::1]/jwks"},
        {"issuer": "http://169.254.169.254/latest"},
        {"issuer": "http://127.0.0.1:6379"},
    ],
)
def test_an_https_ehr_cannot_point_us_at_plain_http_loopback(endpoints: dict[str, str]) -> None:
    with pytest.raises(AuthError, match="not an https URL"):
        from_well_known(HTTPS_BASE, well_known(**endpoints))


def test_a_loopback_fhir_base_may_use_plain_http_loopback_endpoints() -> None:
    config = from_well_known(
        LOOPBACK_BASE,
        well_known(
            authorization_endpoint="http://127.0.0.1:9090/authorize",
            token_endpoint="http://localhost:9090/token",
            issuer="http://127.0.0.1:9090",
        ),
    )
    assert config.token_endpoint == "http://localhost:9090/token"
    assert config.issuer == "http://127.0.0.1:9090"


@responses.activate
def test_the_oidc_issuer_passes_the_same_endpoint_check() -> None:
    """A SMART 1 server without issuer/jwks_uri: its openid-configuration's issuer is checked."""
    responses.get(
        f"{HTTPS_BASE}/.well-known/openid-configuration",
        json={"issuer": "http://127.0.0.1:8000", "jwks_uri": "https://ehr.example.org/jwks"},
    )
    registration = ClientRegistration(
        iss=HTTPS_BASE, client_id="c", auth_method="none", redirect_uri="https://app/callback"
    )
    config = SmartConfiguration(
        HTTPS_BASE, "https://ehr.example.org/a", "https://ehr.example.org/t"
    )
    with pytest.raises(AuthError, match="not an https URL"):
        SmartClient(registration)._issuer_and_keys(config, None)
    assert [call.request.url for call in responses.calls] == [
        f"{HTTPS_BASE}/.well-known/openid-configuration"
    ]  # the JWKS was never fetched


def test_behind_a_tls_proxy_the_public_url_gives_hsts_and_the_write_origin(
    make_world: WorldFactory,
) -> None:
    """The proxy speaks plain http to the app with its own Host; the browser is on PUBLIC."""
    world = make_world(public_url=PUBLIC, trusted_hosts=["localhost"])
    browser = world.app.test_client()
    assert browser.get("/healthz").headers["Strict-Transport-Security"] == "max-age=31536000"
    dashboard = full_launch(browser, world.ehr)
    status, _ = post_write(browser, dashboard)  # Origin http://localhost: not the public one
    assert status == 403
    status, location = post_write(browser, dashboard, Origin=PUBLIC)
    assert status == 303
    assert location.startswith("/app/")


def test_proxy_fix_trusts_forwarded_proto_only_when_configured(make_world: WorldFactory) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.1"}
    plain = make_world().app.test_client().get("/healthz", headers=forwarded)
    assert "Strict-Transport-Security" not in plain.headers
    proxied = make_world(proxy_fix_hops=1).app.test_client().get("/healthz", headers=forwarded)
    assert proxied.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_the_fhir_base_url_is_no_anonymous_launch_target_without_opt_in(
    make_world: WorldFactory, rsps: responses.RequestsMock
) -> None:
    base = "https://unattended.example.org/fhir"
    assert base not in IssuerRegistry.from_settings(Settings(fhir_base_url=base))
    world = make_world(registry=IssuerRegistry.from_settings(Settings(fhir_base_url=base)))
    calls = len(rsps.calls)
    response = world.app.test_client().get("/launch", query_string={"iss": base})
    assert response.status_code == 400
    assert "not registered" in response.get_data(as_text=True)
    assert len(rsps.calls) == calls
    opted_in = Settings(fhir_base_url=base, open_server_launch=True)
    assert IssuerRegistry.from_settings(opted_in).get(base).is_open
