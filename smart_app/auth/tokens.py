"""Value types of a launch: the pending authorization, the launch context, the token set.

They are serialised as JSON (never pickle) so that a token store, even a shared Redis, holds only
data. ``repr`` leaves out tokens and verifiers so a stray log line or traceback cannot leak them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smart_app.errors import AuthError

REFRESH_SKEW_SECONDS = 60.0
#: What a sign-in is for (PendingLaunch.purpose): one patient's launch, or the clinic's worklist,
#: a provider launch whose token response names no patient.
PATIENT_PURPOSE = "patient"
WORKLIST_PURPOSE = "worklist"


@dataclass(frozen=True, slots=True)
class LaunchContext:
    """What the EHR told the app about this launch
    (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#launch-context-arrives-with-your-access_token)."""

    patient: str | None
    encounter: str | None
    fhir_user: str | None
    need_patient_banner: bool
    smart_style_url: str | None
    fhir_context: tuple[dict[str, Any], ...]
    granted_scopes: frozenset[str]
    iss: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "patient": self.patient,
            "encounter": self.encounter,
            "fhir_user": self.fhir_user,
            "need_patient_banner": self.need_patient_banner,
            "smart_style_url": self.smart_style_url,
            "fhir_context": list(self.fhir_context),
            "granted_scopes": sorted(self.granted_scopes),
            "iss": self.iss,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LaunchContext:
        return cls(
            patient=data.get("patient"),
            encounter=data.get("encounter"),
            fhir_user=data.get("fhir_user"),
            need_patient_banner=bool(data.get("need_patient_banner", True)),
            smart_style_url=data.get("smart_style_url"),
            fhir_context=tuple(data.get("fhir_context", ())),
            granted_scopes=frozenset(data.get("granted_scopes", ())),
            iss=str(data["iss"]),
        )


def open_server_context(iss: str, patient: str | None) -> LaunchContext:
    """An open server has no OAuth: the patient is the one chosen in the app, all reads are
    allowed by the server itself and writes are attempted (the server answers if it refuses)."""
    return LaunchContext(
        patient=patient,
        encounter=None,
        fhir_user=None,
        need_patient_banner=True,
        smart_style_url=None,
        fhir_context=(),
        granted_scopes=frozenset({"patient/*.cruds"}),
        iss=iss,
    )


@dataclass(frozen=True, slots=True)
class TokenSet:
    """An access token and what came with it; lives server-side only."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float
    scope: str
    id_token_claims: dict[str, Any]
    context: LaunchContext

    def authorization(self) -> str:
        return f"Bearer {self.access_token}"

    def expires_within(
        self, seconds: float = REFRESH_SKEW_SECONDS, *, now: float | None = None
    ) -> bool:
        """True when the token is expired or will be within ``seconds`` (refresh early)."""
        return (time.time() if now is None else now) + seconds >= self.expires_at

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at,
                "scope": self.scope,
                "id_token_claims": self.id_token_claims,
                "context": self.context.to_dict(),
            }
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> TokenSet:
        try:
            data = json.loads(raw)
            return cls(
                access_token=str(data["access_token"]),
                refresh_token=data.get("refresh_token"),
                expires_at=float(data["expires_at"]),
                scope=str(data.get("scope", "")),
                id_token_claims=dict(data.get("id_token_claims") or {}),
                context=LaunchContext.from_dict(data["context"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise AuthError("Stored tokens are unreadable; launch the app again") from error


@dataclass(frozen=True, slots=True)
class PendingLaunch:
    """An authorization request in flight. The web layer keeps it server-side under the
    browser session, keyed by ``state``, and pops it exactly once on the callback."""

    authorize_url: str = field(repr=False)
    state: str = field(repr=False)
    pkce_verifier: str = field(repr=False)
    nonce: str | None = field(repr=False)
    iss: str
    created_at: float
    scope: str = ""
    redirect_uri: str = ""
    launch: str | None = field(default=None, repr=False)
    #: a re-authorisation after the session ended: the launch to return to (same patient only)
    resume_launch: str | None = field(default=None, repr=False)
    #: what the sign-in is for: a patient's launch, or the clinic's worklist (no patient)
    purpose: str = PATIENT_PURPOSE

    def to_json(self) -> bytes:
        return json.dumps({name: getattr(self, name) for name in self.__slots__}).encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> PendingLaunch:
        try:
            data = json.loads(raw)
            optional = {"resume_launch", "purpose"}
            return cls(
                **{
                    name: data[name]
                    for name in cls.__slots__
                    if name not in optional or name in data
                }
            )
        except (ValueError, KeyError, TypeError) as error:
            raise AuthError("The pending launch is unreadable; launch the app again") from error
