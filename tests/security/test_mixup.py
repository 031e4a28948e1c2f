"""OAuth mix-up (RFC 9700 4.4): a callback on another registration's redirect URI is refused, and
an EHR whose discovery claims an issuer other than the one pinned for it is not launched."""

from __future__ import annotations

import pytest

from smart_app.auth import ClientRegistration, IssuerRegistry
from smart_app.auth.discovery import SmartConfiguration, pin_issuer
from smart_app.errors import AuthError
from tests.security.conftest import V2_AUTH, WorldFactory
from tests.web.web_fakes import query
from tests.web.web_flow import V1_ISS, V2_ISS, start_launch

EHR1_REDIRECT = "http://localhost/callback/ehr1"
EHR2_REDIRECT = "http://localhost/callback/ehr2"


def two_ehrs(*, pinned: str | None = None) -> IssuerRegistry:
    return IssuerRegistry(
        [
            ClientRegistration(
                iss=V2_ISS,
                client_id="ms-monitor",
                auth_method="none",
                redirect_uri=EHR2_REDIRECT,
                authorization_server_issuer=pinned,
            ),
            ClientRegistration(
                iss=V1_ISS, client_id="ms-monitor", auth_method="none", redirect_uri=EHR1_REDIRECT
            ),
        ]
    )


def callback_args(authorize_url: str) -> dict[str, str]:
    state = query(authorize_url)["state"]
    return {"code": f"CODE-{state[:6]}", "state": state, "iss": V2_AUTH}


def test_a_callback_on_another_registrations_redirect_uri_is_refused(
    make_world: WorldFactory,
) -> None:
    world = make_world(registry=two_ehrs())
    browser = world.app.test_client()
    authorize_url = start_launch(browser, world.ehr)
    assert query(authorize_url)["redirect_uri"] == EHR2_REDIRECT
    for wrong in ("/callback/ehr1", "/callback"):
        response = browser.get(wrong, query_string=callback_args(authorize_url))
        assert response.status_code == 400
        assert "another EHR" in response.get_data(as_text=True)
        authorize_url = start_launch(browser, world.ehr)
    assert world.ehr.auth.token_requests == []  # the code was never sent to a token endpoint


def test_a_callback_on_its_own_redirect_uri_completes(make_world: WorldFactory) -> None:
    world = make_world(registry=two_ehrs(pinned=V2_AUTH))
    browser = world.app.test_client()
    authorize_url = start_launch(browser, world.ehr)
    response = browser.get("/callback/ehr2", query_string=callback_args(authorize_url))
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].startswith("/app/")
    assert len(world.ehr.auth.token_requests) == 1


def test_an_ehr_claiming_another_issuer_than_the_pinned_one_is_not_launched(
    make_world: WorldFactory,
) -> None:
    """EHR 2's discovery announces V2_AUTH; pinned to EHR 1's server instead, it is refused."""
    world = make_world(registry=two_ehrs(pinned="https://auth1.example"))
    response = world.app.test_client().get("/launch", query_string={"iss": V2_ISS, "launch": "x"})
    assert response.status_code == 502
    assert "not the one registered" in response.get_data(as_text=True)
    assert "Location" not in response.headers


def test_a_pinned_issuer_fills_in_for_a_server_that_announces_none() -> None:
    config = SmartConfiguration(V2_ISS, "https://a.example/authorize", "https://a.example/token")
    assert pin_issuer(config, V2_AUTH).issuer == V2_AUTH
    assert pin_issuer(config, None).issuer is None
    with pytest.raises(AuthError, match="not the one registered"):
        pin_issuer(pin_issuer(config, V2_AUTH), "https://auth1.example")
