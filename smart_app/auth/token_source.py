"""Stored tokens of one launch, served to :class:`smart_app.fhir.FhirClient` as a TokenSource.

Each launch (one patient in one browser tab) has its own ``launch_id`` and its own TokenSet in
the store, so two patients open in one browser never share a token. The token is refreshed
shortly before it expires and after a 401; a rotated refresh token replaces the old one in the
store at once (a refresh token may be single use).
"""

from __future__ import annotations

import threading
import zlib

from smart_app.auth.smart_client import SmartClient
from smart_app.auth.store import TokenStore
from smart_app.auth.tokens import REFRESH_SKEW_SECONDS, PendingLaunch, TokenSet
from smart_app.errors import AuthError

DEFAULT_TOKENS_TTL_SECONDS = 8 * 3600  # a clinic session; the EHR relaunches the app after it
DEFAULT_PENDING_TTL_SECONDS = 900
_STRIPES = tuple(threading.Lock() for _ in range(64))  # per-launch refresh locks, bounded


def tokens_key(launch_id: str) -> str:
    return f"tokens:{launch_id}"


def pending_key(state: str) -> str:
    return f"pending:{state}"


def save_tokens(
    store: TokenStore,
    launch_id: str,
    tokens: TokenSet,
    ttl_seconds: int = DEFAULT_TOKENS_TTL_SECONDS,
) -> None:
    store.put(tokens_key(launch_id), tokens.to_json(), ttl_seconds)


def load_tokens(store: TokenStore, launch_id: str) -> TokenSet | None:
    raw = store.get(tokens_key(launch_id))
    return TokenSet.from_json(raw) if raw is not None else None


def save_pending(
    store: TokenStore, pending: PendingLaunch, ttl_seconds: int = DEFAULT_PENDING_TTL_SECONDS
) -> None:
    store.put(pending_key(pending.state), pending.to_json(), ttl_seconds)


def pop_pending(store: TokenStore, state: str) -> PendingLaunch | None:
    """The pending launch for ``state``, removed atomically: a replayed callback finds none."""
    raw = store.pop(pending_key(state)) if state else None
    return PendingLaunch.from_json(raw) if raw is not None else None


class LaunchTokenSource:
    """Implements :class:`smart_app.fhir.TokenSource` for the launch ``launch_id``."""

    def __init__(
        self,
        client: SmartClient,
        store: TokenStore,
        launch_id: str,
        *,
        ttl_seconds: int = DEFAULT_TOKENS_TTL_SECONDS,
        skew_seconds: float = REFRESH_SKEW_SECONDS,
    ) -> None:
        self._client = client
        self._store = store
        self._launch_id = launch_id
        self._ttl = ttl_seconds
        self._skew = skew_seconds
        self._lock = _STRIPES[zlib.crc32(launch_id.encode()) % len(_STRIPES)]

    def tokens(self) -> TokenSet:
        tokens = load_tokens(self._store, self._launch_id)
        if tokens is None:
            raise AuthError("This launch has ended or expired; launch the app again")
        return tokens

    def authorization(self) -> str | None:
        tokens = self.tokens()
        now = self._client.clock()
        if tokens.expires_within(self._skew, now=now):
            if tokens.refresh_token:
                tokens = self._refresh(tokens)
            elif tokens.expires_within(0, now=now):
                raise AuthError("The access token has expired; launch the app again")
        return tokens.authorization()

    def refresh(self) -> bool:
        """After a 401: refresh now. False when there is no way to get a new token."""
        try:
            self._refresh(self.tokens())
        except AuthError:
            return False
        return True

    def _refresh(self, seen: TokenSet) -> TokenSet:
        with self._lock:
            current = self.tokens()
            if current.access_token != seen.access_token and not current.expires_within(
                self._skew, now=self._client.clock()
            ):
                return current  # another request of this launch refreshed meanwhile
            try:
                fresh = self._client.refresh(current)
            except AuthError:
                latest = load_tokens(self._store, self._launch_id)
                if latest is not None and latest.access_token != current.access_token:
                    return latest  # another process won the race with the rotated token
                raise
            save_tokens(self._store, self._launch_id, fresh, self._ttl)
            return fresh
