"""Launch records: one per completed launch, addressed by an opaque ``launch_id``.

A browser may run several launches at once (two patients in two tabs). Each gets its own random
``launch_id`` (in the URL path, never a patient id), its own record and its own TokenSet, and the
session lists the launch ids it owns: another session asking for the same id gets a 404. The record
holds the launch context (no tokens: those stay in the token store of smart_app.auth) and one
pending message to show once (the result of the last write).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

from smart_app.auth.store import TokenStore
from smart_app.auth.tokens import LaunchContext

LAUNCH_PREFIX = "launch:"
MAX_LAUNCHES_PER_SESSION = 20
_LAUNCH_ID = "launches"


def new_launch_id() -> str:
    return secrets.token_urlsafe(16)


@dataclass(frozen=True, slots=True)
class LaunchRecord:
    """What the app knows about one launch between requests."""

    launch_id: str
    context: LaunchContext
    open_server: bool
    write_result: dict[str, Any] | None = field(default=None)
    write_refused: str | None = None  # the server's words when a write answered 403
    #: the clinician pressed "Write plan" when the session could not be refreshed: after the
    #: re-authorisation the page says the write was not sent and offers it again
    write_pending: bool = False
    #: a patient opened from the clinic's worklist uses the worklist sign-in's tokens (one
    #: grant, one refresh token: a copy would be spent by whichever refreshed first)
    tokens_of: str | None = None

    @property
    def token_launch(self) -> str:
        """The launch id whose TokenSet this launch's requests carry."""
        return self.tokens_of or self.launch_id

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "launch_id": self.launch_id,
                "context": self.context.to_dict(),
                "open_server": self.open_server,
                "write_result": self.write_result,
                "write_refused": self.write_refused,
                "write_pending": self.write_pending,
                "tokens_of": self.tokens_of,
            }
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> LaunchRecord:
        data = json.loads(raw)
        return cls(
            launch_id=str(data["launch_id"]),
            context=LaunchContext.from_dict(data["context"]),
            open_server=bool(data["open_server"]),
            write_result=data.get("write_result"),
            write_refused=data.get("write_refused"),
            write_pending=bool(data.get("write_pending", False)),
            tokens_of=data.get("tokens_of"),
        )


class LaunchRepository:
    """Launch records in the token store, and which session owns which launch."""

    def __init__(self, store: TokenStore, *, ttl_seconds: int) -> None:
        self.store = store
        self.ttl_seconds = ttl_seconds

    def save(self, record: LaunchRecord) -> None:
        self.store.put(LAUNCH_PREFIX + record.launch_id, record.to_json(), self.ttl_seconds)

    def update(self, record: LaunchRecord, **changes: Any) -> LaunchRecord:
        updated = replace(record, **changes)
        self.save(updated)
        return updated

    def get(self, launch_id: str, session: MutableMapping[str, Any]) -> LaunchRecord | None:
        """The record, only if ``session`` owns ``launch_id`` (else None: the caller 404s)."""
        if launch_id not in owned_launches(session):
            return None
        raw = self.store.get(LAUNCH_PREFIX + launch_id)
        if raw is None:
            return None
        try:
            return LaunchRecord.from_json(raw)
        except (ValueError, KeyError, TypeError):
            return None

    def worklist(self, session: MutableMapping[str, Any]) -> LaunchRecord | None:
        """The worklist sign-in of ``session`` (a provider launch: no patient), else None."""
        launch_id = session.get(WORKLIST_SESSION_KEY)
        raw = self.store.get(LAUNCH_PREFIX + launch_id) if isinstance(launch_id, str) else None
        if raw is None:
            return None
        try:
            record = LaunchRecord.from_json(raw)
        except (ValueError, KeyError, TypeError):
            return None
        return record if record.context.patient is None and not record.open_server else None


#: The session key of the worklist sign-in's launch id (its record has no patient and is never
#: one of the session's dashboards).
WORKLIST_SESSION_KEY = "worklist_launch"


def owned_launches(session: MutableMapping[str, Any]) -> list[str]:
    value = session.get(_LAUNCH_ID)
    return [str(v) for v in value] if isinstance(value, list) else []


def add_launch(session: MutableMapping[str, Any], launch_id: str) -> None:
    """Record that ``session`` owns ``launch_id`` (keeping the latest few)."""
    launches = [*owned_launches(session), launch_id][-MAX_LAUNCHES_PER_SESSION:]
    session[_LAUNCH_ID] = launches
