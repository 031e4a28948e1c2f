"""The sandbox's registered clients, loaded from ``clients.json``.

Each client implements the methods Authlib's ``ClientMixin`` asks for
(https://docs.authlib.org/en/latest/specs/rfc6749.html), plus the sandbox's error-injection flags.
``{app_base_url}`` in a redirect URI is replaced by the app base given when the sandbox starts.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from launch.sandbox.scopes import allowed_by, remove_denied, split_scopes

DEFAULT_CLIENTS_FILE = Path(__file__).with_name("clients.json")
AUTH_METHODS = ("none", "client_secret_basic", "private_key_jwt")


class ClientConfigError(ValueError):
    """clients.json is not usable (the sandbox refuses to start)."""


@dataclass(frozen=True, slots=True)
class Flags:
    """Error injection, per client or per launch, like the public SMART launcher's options.

    ``invalid_client``: the token endpoint answers ``invalid_client``. ``expires_in``: access
    tokens live this many seconds (``expired_token``). ``deny_scope``: never granted.
    """

    invalid_client: bool = False
    expires_in: int | None = None
    deny_scope: tuple[str, ...] = ()

    def merged(self, other: Flags) -> Flags:
        """Both sets of flags at once (a launch's flags on top of its client's)."""
        return Flags(
            invalid_client=self.invalid_client or other.invalid_client,
            expires_in=other.expires_in if other.expires_in is not None else self.expires_in,
            deny_scope=tuple(dict.fromkeys((*self.deny_scope, *other.deny_scope))),
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Flags:
        expires = data.get("expired_token", data.get("expires_in"))
        deny = data.get("deny_scope", ())
        return cls(
            invalid_client=bool(data.get("invalid_client", False)),
            expires_in=int(expires) if expires is not None else None,
            deny_scope=tuple(split_scopes(deny) if isinstance(deny, str) else deny),
        )


@dataclass(frozen=True, slots=True)
class SandboxClient:
    """A registered client (Authlib ClientMixin protocol)."""

    client_id: str
    name: str
    auth_method: str
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    scope_patterns: tuple[str, ...]
    client_secret: str | None = None
    jwks: Mapping[str, Any] | None = None
    flags: Flags = field(default_factory=Flags)

    @property
    def is_public(self) -> bool:
        return self.auth_method == "none"

    # --- Authlib ClientMixin -------------------------------------------------------------------
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        """None: a SMART app must always send its redirect_uri (exact match, no default)."""
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        """Requested scopes the client is registered for, minus the client's denied scopes."""
        wanted = [s for s in split_scopes(scope) if allowed_by(self.scope_patterns, s)]
        return " ".join(remove_denied(wanted, self.flags.deny_scope))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        if self.client_secret is None:
            return False
        return hmac.compare_digest(self.client_secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


@dataclass(frozen=True, slots=True)
class ClientRegistry:
    """All registered clients, by client_id."""

    clients: Mapping[str, SandboxClient]

    def get(self, client_id: str | None) -> SandboxClient | None:
        return self.clients.get(client_id) if client_id else None

    @classmethod
    def from_file(cls, path: Path, *, app_base_url: str) -> ClientRegistry:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ClientConfigError(f"cannot read {path}: {exc}") from exc
        if not isinstance(raw, dict) or not isinstance(raw.get("clients"), list):
            raise ClientConfigError(f"{path}: expected an object with a 'clients' list")
        clients = [_client(item, app_base_url.rstrip("/")) for item in raw["clients"]]
        return cls({c.client_id: c for c in clients})


def _client(item: Any, app_base_url: str) -> SandboxClient:
    if not isinstance(item, dict) or not isinstance(item.get("client_id"), str):
        raise ClientConfigError(f"a client has no client_id: {item!r}")
    method = item.get("token_endpoint_auth_method", "none")
    if method not in AUTH_METHODS:
        raise ClientConfigError(f"{item['client_id']}: unknown auth method {method!r}")
    if method == "client_secret_basic" and not item.get("client_secret"):
        raise ClientConfigError(f"{item['client_id']}: client_secret_basic needs a client_secret")
    if method == "private_key_jwt" and not item.get("jwks"):
        raise ClientConfigError(f"{item['client_id']}: private_key_jwt needs a jwks")
    return SandboxClient(
        client_id=item["client_id"],
        name=str(item.get("name", item["client_id"])),
        auth_method=method,
        redirect_uris=tuple(
            uri.replace("{app_base_url}", app_base_url) for uri in item.get("redirect_uris", [])
        ),
        grant_types=tuple(item.get("grant_types", ["authorization_code", "refresh_token"])),
        scope_patterns=tuple(split_scopes(item.get("scope", ""))),
        client_secret=item.get("client_secret"),
        jwks=item.get("jwks"),
        flags=Flags.from_json(item.get("sandbox_flags", {})),
    )
