"""The sandbox's in-memory state: launches, authorization codes, tokens, used assertion ids.

A dev sandbox: everything lives in dicts behind one lock and is lost on restart. Expired entries
are dropped when they are looked up.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from launch.sandbox.clients import Flags
from launch.sandbox.ehr import EhrProfile, profile_named
from launch.sandbox.ehr.ratelimit import MinuteWindow

CODE_LIFETIME_SECONDS = 300
LAUNCH_LIFETIME_SECONDS = 3600
REFRESH_LIFETIME_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class LaunchContext:
    """What the EHR knows when it launches the app, and what the token response reports.

    Also the Authlib "user" of a grant: the sandbox auto-approves as one fixed clinician.
    """

    patient: str | None = None
    encounter: str | None = None
    fhir_user: str | None = None
    need_patient_banner: bool = True
    smart_style_url: str | None = None
    nonce: str | None = None
    flags: Flags = field(default_factory=Flags)
    required_client_type: str = "any"  # "any" | "public" | "confidential" (launcher option)

    def without_nonce(self) -> LaunchContext:
        return replace(self, nonce=None)


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    """An issued code (Authlib AuthorizationCodeMixin protocol)."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    context: LaunchContext
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass(frozen=True, slots=True)
class AccessToken:
    """An access token and the context it was issued with."""

    token: str
    client_id: str
    scope: str
    expires_at: float
    context: LaunchContext | None

    def is_expired(self, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) >= self.expires_at


@dataclass(frozen=True, slots=True)
class RefreshToken:
    """A refresh token (Authlib TokenMixin for the refresh grant); single use (rotation)."""

    token: str
    client_id: str
    scope: str
    expires_at: float
    context: LaunchContext

    def check_client(self, client: object) -> bool:
        return getattr(client, "client_id", None) == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def is_expired(self) -> bool:
        return time.time() >= self.expires_at

    def is_revoked(self) -> bool:
        return False


@dataclass(slots=True)
class SandboxState:
    """All mutable state of one sandbox app."""

    clock: Callable[[], float] = time.time
    launches: dict[str, LaunchContext] = field(default_factory=dict)
    launch_expiry: dict[str, float] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    used_jtis: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: the EHR the sandbox behaves as (``--ehr``, or the launcher's switch)
    ehr: str = "hapi"
    rate_limit: MinuteWindow | None = None
    #: writes attempted on another app's CarePlans/Tasks (must stay empty)
    foreign_writes: list[str] = field(default_factory=list)
    #: error injection: the next N creates of these types are committed upstream, then the
    #: answer is held for ``stall_seconds`` (the client times out after the server committed)
    stall_after_write: dict[str, int] = field(default_factory=dict)
    stall_seconds: float = 0.0

    def profile(self) -> EhrProfile:
        return profile_named(self.ehr)

    def switch_ehr(self, name: str, per_minute: int | None = None) -> None:
        """Behave as EHR ``name`` from now on, rate-limited to ``per_minute`` when given."""
        profile_named(name)  # ValueError for an unknown name
        with self.lock:
            self.ehr = name
            same = self.rate_limit is not None and self.rate_limit.per_minute == per_minute
            if not same:
                self.rate_limit = MinuteWindow(per_minute, self.clock) if per_minute else None

    def new_launch(self, context: LaunchContext) -> str:
        launch_id = secrets.token_urlsafe(16)
        with self.lock:
            self.launches[launch_id] = context
            self.launch_expiry[launch_id] = self.clock() + LAUNCH_LIFETIME_SECONDS
        return launch_id

    def launch(self, launch_id: str) -> LaunchContext | None:
        """A launch stays usable for an hour (the app may authorize again after a reload)."""
        with self.lock:
            if self.launch_expiry.get(launch_id, 0.0) <= self.clock():
                self.launches.pop(launch_id, None)
                self.launch_expiry.pop(launch_id, None)
                return None
            return self.launches.get(launch_id)

    def save_code(self, code: AuthorizationCode) -> None:
        with self.lock:
            self.codes[code.code] = code

    def code(self, code: str, client_id: str) -> AuthorizationCode | None:
        with self.lock:
            found = self.codes.get(code)
            if found is None or found.client_id != client_id:
                return None
            if found.expires_at <= self.clock():
                del self.codes[code]
                return None
            return found

    def peek_code(self, code: str) -> AuthorizationCode | None:
        with self.lock:
            return self.codes.get(code)

    def delete_code(self, code: str) -> None:
        with self.lock:
            self.codes.pop(code, None)

    def save_access(self, token: AccessToken) -> None:
        with self.lock:
            self.access_tokens[token.token] = token

    def access(self, token: str) -> AccessToken | None:
        with self.lock:
            return self.access_tokens.get(token)

    def save_refresh(self, token: RefreshToken) -> None:
        with self.lock:
            self.refresh_tokens[token.token] = token

    def refresh(self, token: str) -> RefreshToken | None:
        with self.lock:
            found = self.refresh_tokens.get(token)
            if found is not None and found.expires_at <= self.clock():
                del self.refresh_tokens[token]
                return None
            return found

    def revoke_refresh(self, token: str) -> None:
        with self.lock:
            self.refresh_tokens.pop(token, None)

    def first_use_of_jti(self, client_id: str, jti: str, expires_at: float) -> bool:
        """Record an assertion id; False when the client used it before (a replay)."""
        key = f"{client_id}\x00{jti}"
        now = self.clock()
        with self.lock:
            for stale in [k for k, exp in self.used_jtis.items() if exp < now - 60]:
                del self.used_jtis[stale]
            if key in self.used_jtis:
                return False
            self.used_jtis[key] = expires_at
            return True
