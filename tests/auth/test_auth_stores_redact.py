"""Token stores (memory, and a real redis-server) and log redaction."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from smart_app.auth import (
    MemoryTokenStore,
    PendingLaunch,
    RedactingFilter,
    RedisTokenStore,
    TokenStore,
    new_key,
    pop_pending,
    redact,
    save_pending,
)


@pytest.fixture(scope="module")
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """The session's real redis-server, emptied for this module."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> TokenStore:
    if request.param == "memory":
        return MemoryTokenStore()
    client = request.getfixturevalue("redis_client")
    return RedisTokenStore(client, prefix=f"test:{new_key()}:")


def test_put_get_pop_delete(store: TokenStore) -> None:
    store.put("k", b'{"a": 1}', 60)
    assert store.get("k") == b'{"a": 1}'
    assert store.pop("k") == b'{"a": 1}'
    assert store.pop("k") is None  # single use
    assert store.get("k") is None
    store.put("k2", b"x", 60)
    store.delete("k2")
    assert store.get("k2") is None
    with pytest.raises(ValueError, match="positive"):
        store.put("k3", b"x", 0)


def test_pending_launch_is_popped_exactly_once_even_under_concurrency(store: TokenStore) -> None:
    pending = PendingLaunch(
        authorize_url="https://auth.example/authorize?x=1",
        state=new_key(),
        pkce_verifier="v" * 64,
        nonce="n",
        iss="https://ehr.example/fhir",
        created_at=time.time(),
        scope="launch openid",
        redirect_uri="https://app.example/callback",
        launch="L-1",
    )
    save_pending(store, pending)
    results: list[PendingLaunch | None] = []
    lock = threading.Lock()

    def take() -> None:
        got = pop_pending(store, pending.state)
        with lock:
            results.append(got)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r for r in results if r is not None] == [pending]
    assert pop_pending(store, "") is None


def test_memory_store_expires_values() -> None:
    now = [1000.0]
    store = MemoryTokenStore(clock=lambda: now[0])
    store.put("k", b"v", 10)
    now[0] += 9
    assert store.get("k") == b"v"
    now[0] += 2
    assert store.get("k") is None
    store.put("k", b"v", 10)
    now[0] += 11
    assert store.pop("k") is None


def test_redis_store_sets_a_ttl_and_prefixes_keys(redis_client: redis.Redis) -> None:
    store = RedisTokenStore(redis_client, prefix="ttl-test:")
    store.put("abc", b"v", 120)
    assert 0 < int(redis_client.ttl("ttl-test:abc")) <= 120
    assert redis_client.get("abc") is None


def test_new_keys_are_random_and_long() -> None:
    keys = {new_key() for _ in range(100)}
    assert len(keys) == 100
    assert all(len(k) >= 43 for k in keys)


def test_redact_removes_tokens_codes_verifiers_and_assertions() -> None:
    text = (
        "GET /callback?code=CODE123&state=STATE456&iss=https://auth.example "
        "body grant_type=authorization_code&code_verifier=VERIFIER789&"
        "client_assertion=eyJhbGciOiJSUzM4NCJ9.eyJpc3MiOiJ4In0.c2ln&client_id=ms-monitor "
        '{"access_token": "AT-1", "refresh_token":"RT-1", "patient": "msm-001"} '
        "Authorization: Bearer abc.def-ghi Basic bXM6c2VjcmV0"
    )
    cleaned = redact(text)
    for secret in (
        "CODE123",
        "STATE456",
        "VERIFIER789",
        "eyJhbGci",
        "AT-1",
        "RT-1",
        "abc.def-ghi",
        "bXM6c2VjcmV0",
    ):
        assert secret not in cleaned
    for kept in (
        "grant_type=authorization_code",
        "client_id=ms-monitor",
        "iss=https://auth.example",
    ):
        assert kept in cleaned


def test_redacting_filter_cleans_formatted_log_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.auth.redact")
    caplog.handler.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="test.auth.redact"):
        logger.info("token answer %s", '{"access_token": "AT-SECRET"}')
    assert "AT-SECRET" not in caplog.text
    assert "[redacted]" in caplog.text
