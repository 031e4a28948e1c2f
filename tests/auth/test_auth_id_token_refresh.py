"""id_token validation, refresh, and the per-launch token source."""

from __future__ import annotations

import time
from typing import Any

import pytest
import responses

from smart_app.auth import (
    LaunchTokenSource,
    MemoryTokenStore,
    SmartClient,
    load_tokens,
    save_tokens,
)
from smart_app.errors import AuthError
from smart_app.fhir import FhirClient
from tests.auth.auth_fakes import (
    JWKS,
    OTHER_KEY,
    TOKEN,
    add_ehr,
    callback_for,
    form,
    hs256_id_token,
    id_token,
    launched,
    registration,
    token_answer,
)


def _complete_with(rsps: responses.RequestsMock, make_id_token: Any, **config: Any) -> Any:
    add_ehr(rsps, **config)
    client = SmartClient(registration())
    pending = client.begin(launch="L-1")
    rsps.post(TOKEN, json=token_answer(id_token=make_id_token(pending.nonce)))
    return client.complete(pending, callback_args=callback_for(pending))


def test_good_id_token_is_accepted_and_gives_fhir_user(rsps: responses.RequestsMock) -> None:
    tokens = _complete_with(rsps, id_token)
    assert tokens.context.fhir_user == "https://ehr.example/fhir/Practitioner/dr-neuro"
    assert [c.request.url for c in rsps.calls].count(JWKS) == 1


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda nonce: id_token(nonce, aud="another-app"), "aud"),
        (lambda nonce: id_token("not-" + str(nonce)), "nonce"),
        (lambda nonce: id_token(None), "nonce"),
        (lambda nonce: id_token(nonce, exp=int(time.time()) - 3600), "expired|exp"),
        (lambda nonce: id_token(nonce, iss="https://ehr.example/fhir"), "iss"),
        (lambda nonce: id_token(nonce, key=OTHER_KEY), "signature"),
        (hs256_id_token, "algorithm 'HS256'"),
    ],
)
def test_bad_id_tokens_are_rejected(rsps: responses.RequestsMock, make: Any, reason: str) -> None:
    with pytest.raises(AuthError, match=f"id_token rejected.*({reason})"):
        _complete_with(rsps, make)


def test_alg_none_id_token_is_rejected(rsps: responses.RequestsMock) -> None:
    def unsigned(nonce: str) -> str:
        import base64
        import json

        def part(data: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

        claims = {
            "iss": "https://auth.ehr.example",
            "aud": "ms-monitor",
            "nonce": nonce,
            "iat": int(time.time()),
            "exp": int(time.time()) + 300,
            "fhirUser": "x",
        }
        return f"{part({'alg': 'none'})}.{part(claims)}."

    with pytest.raises(AuthError, match="algorithm 'none'"):
        _complete_with(rsps, unsigned)


def test_id_token_without_published_keys_cannot_be_accepted(rsps: responses.RequestsMock) -> None:
    rsps.get("https://auth.ehr.example/.well-known/openid-configuration", status=404)
    with pytest.raises(AuthError, match="jwks_uri"):
        _complete_with(rsps, id_token, jwks_uri=None)


def _launched_tokens(rsps: responses.RequestsMock, clock: list[float]) -> tuple[SmartClient, Any]:
    add_ehr(rsps)
    client = SmartClient(registration(), clock=lambda: clock[0])
    pending, callback = launched(client, rsps, expires_in=600)
    return client, client.complete(pending, callback_args=callback)


def test_refresh_sends_the_refresh_token_and_a_rotated_one_replaces_it(
    rsps: responses.RequestsMock,
) -> None:
    clock = [time.time()]
    client, tokens = _launched_tokens(rsps, clock)
    rsps.post(TOKEN, json=token_answer(access_token="AT-2", refresh_token="RT-2", scope=None))
    fresh = client.refresh(tokens)
    request = [c for c in rsps.calls if c.request.url == TOKEN][-1].request
    assert form(request.body) == {
        "grant_type": "refresh_token",
        "refresh_token": "RT-secret-1",
        "client_id": "ms-monitor",
    }
    assert (fresh.access_token, fresh.refresh_token) == ("AT-2", "RT-2")
    assert fresh.context == tokens.context
    assert fresh.scope == tokens.scope

    rsps.post(TOKEN, json=token_answer(access_token="AT-3", refresh_token=None))
    assert client.refresh(fresh).refresh_token == "RT-2"  # not rotated: keep the current one


def test_refresh_failure_is_an_auth_error(rsps: responses.RequestsMock) -> None:
    clock = [time.time()]
    client, tokens = _launched_tokens(rsps, clock)
    rsps.post(TOKEN, json={"error": "invalid_grant"}, status=400)
    with pytest.raises(AuthError, match="invalid_grant"):
        client.refresh(tokens)
    no_refresh = type(tokens)(
        **{**{f: getattr(tokens, f) for f in tokens.__slots__}, "refresh_token": None}
    )
    with pytest.raises(AuthError, match="launch the app again"):
        client.refresh(no_refresh)


def test_token_source_refreshes_shortly_before_expiry_and_stores_the_new_tokens(
    rsps: responses.RequestsMock,
) -> None:
    clock = [time.time()]
    client, tokens = _launched_tokens(rsps, clock)
    store = MemoryTokenStore()
    save_tokens(store, "launch-a", tokens)
    source = LaunchTokenSource(client, store, "launch-a")

    assert source.authorization() == "Bearer AT-secret-1"
    token_calls = len([c for c in rsps.calls if c.request.url == TOKEN])

    clock[0] += 600 - 30  # 30 s before expiry: inside the 60 s skew
    rsps.post(TOKEN, json=token_answer(access_token="AT-2", refresh_token="RT-2"))
    assert source.authorization() == "Bearer AT-2"
    assert len([c for c in rsps.calls if c.request.url == TOKEN]) == token_calls + 1
    stored = load_tokens(store, "launch-a")
    assert stored is not None
    assert stored.refresh_token == "RT-2"
    assert source.authorization() == "Bearer AT-2"  # fresh now: no further refresh
    assert len([c for c in rsps.calls if c.request.url == TOKEN]) == token_calls + 1


def test_two_launches_in_one_store_never_mix(rsps: responses.RequestsMock) -> None:
    clock = [time.time()]
    client, tokens = _launched_tokens(rsps, clock)
    pending, callback = launched(client, rsps, access_token="AT-B", patient="msm-002")
    other = client.complete(pending, callback_args=callback)
    store = MemoryTokenStore()
    save_tokens(store, "a", tokens)
    save_tokens(store, "b", other)
    assert LaunchTokenSource(client, store, "a").authorization() == "Bearer AT-secret-1"
    assert LaunchTokenSource(client, store, "b").authorization() == "Bearer AT-B"
    with pytest.raises(AuthError, match="launch the app again"):
        LaunchTokenSource(client, store, "c").authorization()


def test_fhir_client_401_triggers_one_refresh_through_the_token_source(
    rsps: responses.RequestsMock,
) -> None:
    clock = [time.time()]
    client, tokens = _launched_tokens(rsps, clock)
    store = MemoryTokenStore()
    save_tokens(store, "a", tokens)
    rsps.get("https://ehr.example/fhir/Patient/msm-001", status=401)
    rsps.get(
        "https://ehr.example/fhir/Patient/msm-001",
        json={"resourceType": "Patient", "id": "msm-001"},
        match=[responses.matchers.header_matcher({"Authorization": "Bearer AT-2"})],
    )
    rsps.post(TOKEN, json=token_answer(access_token="AT-2", refresh_token="RT-2"))
    fhir = FhirClient(
        "https://ehr.example/fhir", token_source=LaunchTokenSource(client, store, "a")
    )
    assert fhir.read("Patient", "msm-001")["id"] == "msm-001"
    stored = load_tokens(store, "a")
    assert stored is not None
    assert stored.access_token == "AT-2"


def test_token_source_refresh_returns_false_when_refresh_is_refused(
    rsps: responses.RequestsMock,
) -> None:
    clock = [time.time()]
    client, tokens = _launched_tokens(rsps, clock)
    store = MemoryTokenStore()
    save_tokens(store, "a", tokens)
    rsps.post(TOKEN, json={"error": "invalid_grant"}, status=400)
    source = LaunchTokenSource(client, store, "a")
    assert source.refresh() is False
    clock[0] += 3600
    with pytest.raises(AuthError, match="invalid_grant"):
        source.authorization()
