"""Unauthenticated state growth: anonymous sessions die with their pending launch, and /launch
and /callback are rate-limited per client address (in Redis when configured, else in memory)."""

from __future__ import annotations

from redis import Redis

from smart_app.auth.token_source import DEFAULT_PENDING_TTL_SECONDS
from tests.security.conftest import WorldFactory
from tests.web.web_flow import V2_ISS, finish_launch, start_launch

SESSION_KEY = "ms-monitor:auth:session:"
EIGHT_HOURS = 8 * 3600


def session_ttl(redis: Redis, cookie_value: str) -> int:
    return int(redis.ttl(SESSION_KEY + cookie_value))


def test_an_anonymous_session_lives_only_as_long_as_its_pending_launch(
    make_world: WorldFactory, redis_url: str, clean_redis: Redis
) -> None:
    world = make_world(redis_url=redis_url, session_ttl_seconds=EIGHT_HOURS)
    browser = world.app.test_client()
    response = browser.get("/launch", query_string={"iss": V2_ISS, "launch": "x"})
    assert response.status_code == 302
    assert f"Max-Age={DEFAULT_PENDING_TTL_SECONDS}" in response.headers["Set-Cookie"]
    cookie = browser.get_cookie("msm_session")
    assert cookie is not None
    assert 0 < session_ttl(clean_redis, cookie.value) <= DEFAULT_PENDING_TTL_SECONDS
    # many anonymous launches leave nothing that outlives 15 minutes
    for _ in range(20):
        world.app.test_client().get("/launch", query_string={"iss": V2_ISS, "launch": "x"})
    ttls = [int(clean_redis.ttl(key)) for key in clean_redis.scan_iter("ms-monitor:auth:*")]
    assert ttls
    assert max(ttls) <= DEFAULT_PENDING_TTL_SECONDS


def test_a_logged_in_session_keeps_the_full_session_time(
    make_world: WorldFactory, redis_url: str, clean_redis: Redis
) -> None:
    world = make_world(redis_url=redis_url, session_ttl_seconds=EIGHT_HOURS)
    browser = world.app.test_client()
    finish_launch(browser, world.ehr, start_launch(browser, world.ehr))
    cookie = browser.get_cookie("msm_session")
    assert cookie is not None
    assert session_ttl(clean_redis, cookie.value) > DEFAULT_PENDING_TTL_SECONDS


def test_launch_is_rate_limited_per_client_address_in_redis(
    make_world: WorldFactory, redis_url: str, clean_redis: Redis
) -> None:
    world = make_world(redis_url=redis_url, launch_rate_limit="3 per minute")
    args = {"iss": V2_ISS, "launch": "x"}
    attacker = {"REMOTE_ADDR": "203.0.113.7"}
    statuses = [
        world.app.test_client().get("/launch", query_string=args, environ_base=attacker).status_code
        for _ in range(5)
    ]
    assert statuses == [302, 302, 302, 429, 429]
    pending = list(clean_redis.scan_iter("ms-monitor:auth:pending*"))
    assert len(pending) == 3  # the refused launches stored nothing
    assert list(clean_redis.scan_iter("*ms-monitor-rate*"))  # the counters are in Redis
    other = {"REMOTE_ADDR": "198.51.100.9"}
    browser = world.app.test_client()
    assert browser.get("/launch", query_string=args, environ_base=other).status_code == 302


def test_callback_is_rate_limited_in_memory_without_redis(make_world: WorldFactory) -> None:
    world = make_world(launch_rate_limit="2 per minute")
    browser = world.app.test_client()
    statuses = [
        browser.get("/callback", query_string={"code": "c", "state": f"s{i}"}).status_code
        for i in range(3)
    ]
    assert statuses == [400, 400, 429]
    assert world.ehr.auth.token_requests == []
