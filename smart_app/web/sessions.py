"""Server-side sessions: the cookie carries only an opaque, random id; the data stay on the server.

Flask's default session is a signed *client-side* cookie: anything put in it (tokens, patient ids)
travels to the browser. SMART App Launch asks apps to keep tokens server-side
(https://hl7.org/fhir/smart-app-launch/app-launch.html#step-6-app-accesses-clinical-data-via-fhir-api),
and OWASP's session-management cheat sheet asks for a new id after login (session fixation). So the
session data live in the token store (memory or Redis) under ``session:<id>``, the cookie holds
the 256-bit id, and :func:`rotate_session` gives the same data a new id after the OAuth callback.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from smart_app.auth.store import TokenStore
from smart_app.auth.token_source import DEFAULT_PENDING_TTL_SECONDS
from smart_app.web.launches import WORKLIST_SESSION_KEY, owned_launches

SESSION_PREFIX = "session:"
_ID_BYTES = 32


def new_session_id() -> str:
    return secrets.token_urlsafe(_ID_BYTES)


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """Session data kept on the server; ``sid`` is what the cookie holds."""

    def __init__(self, initial: dict[str, Any] | None, sid: str, *, new: bool) -> None:
        def on_update(_: CallbackDict[str, Any]) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.sid = sid
        self.new = new
        self.modified = False
        self.rotated_from: str | None = None


def rotate_session(session: SessionMixin) -> None:
    """Give the current session a new id (after login); the old id stops working at once."""
    if not isinstance(session, ServerSession):
        raise TypeError("rotate_session needs the server-side session interface")
    if session.rotated_from is None:
        session.rotated_from = session.sid
    session.sid = new_session_id()
    session.modified = True


def anonymous_session_ttl(session: SessionMixin, full_ttl: int) -> int:
    """A session that owns no launch yet (nobody logged in) lives only as long as its pending
    launch: anonymous ``GET /launch`` calls cannot fill the store for the full session time."""
    if owned_launches(session) or session.get(WORKLIST_SESSION_KEY):
        return full_ttl
    return min(full_ttl, DEFAULT_PENDING_TTL_SECONDS)


class ServerSessionInterface(SessionInterface):
    """A Flask ``SessionInterface`` storing session data in a :class:`TokenStore`."""

    def __init__(self, store: TokenStore, *, ttl_seconds: int) -> None:
        self.store = store
        self.ttl_seconds = ttl_seconds

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid and len(sid) <= 128:
            raw = self.store.get(SESSION_PREFIX + sid)
            if raw is not None:
                try:
                    data = json.loads(raw)
                except ValueError:
                    data = None
                if isinstance(data, dict):
                    return ServerSession(data, sid, new=False)
        # unknown or expired id: a fresh id, never the one the browser offered (no fixation)
        return ServerSession(None, new_session_id(), new=True)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession):
            return
        name = self.get_cookie_name(app)
        if session.rotated_from is not None:
            self.store.delete(SESSION_PREFIX + session.rotated_from)
        if not session:
            if not session.new:
                self.store.delete(SESSION_PREFIX + session.sid)
                response.delete_cookie(
                    name, path=self.get_cookie_path(app), domain=self.get_cookie_domain(app)
                )
            return
        unchanged = not (session.modified or session.new or session.rotated_from)
        if unchanged and not self.should_set_cookie(app, session):
            return
        ttl = anonymous_session_ttl(session, self.ttl_seconds)
        self.store.put(SESSION_PREFIX + session.sid, json.dumps(dict(session)).encode(), ttl)
        response.vary.add("Cookie")
        response.set_cookie(
            name,
            session.sid,
            max_age=ttl,
            path=self.get_cookie_path(app),
            domain=self.get_cookie_domain(app),
            secure=self.get_cookie_secure(app),
            httponly=True,
            samesite=self.get_cookie_samesite(app),
        )
