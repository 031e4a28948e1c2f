"""The issuer allowlist: one client registration per FHIR base the app may launch from.

A launch URL carries ``iss`` chosen by whoever crafted the link. Only an exact match against a
registered FHIR base is accepted, *before* any HTTP request, so the app never fetches from, nor
sends a code, secret or assertion to, a server nobody registered (SSRF and token theft; see
https://hl7.org/fhir/smart-app-launch/app-launch.html#launch-app-ehr-launch "the app SHOULD
validate iss").

File format (JSON list)::

    [{"iss": "https://ehr.example/fhir", "client_id": "ms-monitor",
      "auth_method": "none" | "client_secret_basic" | "private_key_jwt" | "open",
      "client_secret_env": "NAME"            (or "client_secret": "..."),
      "private_key_file": "keys/app.pem"     (relative to the JSON file; or "private_key_pem"),
      "key_id": "kid-1", "redirect_uri": "https://app.example/callback",
      "scopes": "" (empty: the app's standard scopes), "offline_access": false,
      "standalone": false,
      "site": {...}                          (optional: :mod:`smart_app.site_config`),
      "authorization_server_issuer": "https://auth.ehr.example" (optional: the issuer pinned)}]
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smart_app.errors import ConfigurationError, UnknownIssuerError
from smart_app.site_config import SiteConfiguration

if TYPE_CHECKING:
    from smart_app.settings import Settings

AUTH_METHODS = frozenset({"none", "client_secret_basic", "private_key_jwt", "open"})


def normalize_iss(iss: str) -> str:
    """The comparison form of a FHIR base: exact, except for one trailing ``/``."""
    return iss[:-1] if iss.endswith("/") else iss


@dataclass(frozen=True, slots=True)
class ClientRegistration:
    """How ms-monitor is registered with one EHR (one allowlisted FHIR base)."""

    iss: str
    client_id: str | None
    auth_method: str
    client_secret: str | None = None
    private_key_pem: str | None = None
    key_id: str | None = None
    scopes: str = ""  # empty: the app's standard scopes, v1 or v2 chosen from the server
    redirect_uri: str = ""
    offline_access: bool = False
    standalone: bool = False  # the registration used for a standalone launch without ``iss``
    site: SiteConfiguration = field(default_factory=SiteConfiguration)  # site codes, categories
    # the authorization server's issuer (RFC 8414) this EHR must announce; pinned, a hostile EHR
    # cannot claim another's (mix-up, RFC 9700 4.4)
    authorization_server_issuer: str | None = None

    def __post_init__(self) -> None:
        if self.auth_method not in AUTH_METHODS:
            raise ConfigurationError(
                f"Registration for {self.iss}: unknown auth_method {self.auth_method!r} "
                f"(expected one of {sorted(AUTH_METHODS)})"
            )
        if self.auth_method == "open":
            return
        missing = [
            name
            for name, needed in (
                ("client_id", True),
                ("redirect_uri", True),
                ("client_secret", self.auth_method == "client_secret_basic"),
                ("private_key_pem", self.auth_method == "private_key_jwt"),
                ("key_id", self.auth_method == "private_key_jwt"),
            )
            if needed and not getattr(self, name)
        ]
        if missing:
            raise ConfigurationError(
                f"Registration for {self.iss} ({self.auth_method}) lacks {', '.join(missing)}"
            )

    @property
    def is_open(self) -> bool:
        """An open FHIR server (e.g. https://hapi.fhir.org/baseR4): no OAuth at all."""
        return self.auth_method == "open"

    def __repr__(self) -> str:  # keep secrets and keys out of logs and tracebacks
        return (
            f"ClientRegistration(iss={self.iss!r}, client_id={self.client_id!r}, "
            f"auth_method={self.auth_method!r})"
        )

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, base_dir: Path | None = None
    ) -> ClientRegistration:
        """Build from one JSON object; secrets may come from an env var, keys from a file."""
        known = {f.name for f in fields(cls)}
        extra = set(data) - known - {"client_secret_env", "private_key_file"}
        if extra:
            raise ConfigurationError(f"Unknown registration keys: {sorted(extra)}")
        values = {k: v for k, v in data.items() if k in known}
        if "iss" not in values or "auth_method" not in values:
            raise ConfigurationError("A registration needs at least 'iss' and 'auth_method'")
        values["iss"] = normalize_iss(str(values["iss"]))
        values.setdefault("client_id", None)
        if "site" in values:
            values["site"] = SiteConfiguration.from_mapping(
                values["site"], where=f"Registration for {values['iss']}: site"
            )
        if env_name := data.get("client_secret_env"):
            secret = os.environ.get(str(env_name))
            if not secret:
                raise ConfigurationError(
                    f"Registration for {values['iss']}: environment variable {env_name} is unset"
                )
            values["client_secret"] = secret
        if key_file := data.get("private_key_file"):
            path = Path(str(key_file))
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            try:
                values["private_key_pem"] = path.read_text(encoding="ascii")
            except OSError as error:
                raise ConfigurationError(f"Cannot read private key file {path}: {error}") from error
        return cls(**values)


class IssuerRegistry:
    """The allowlist of FHIR bases, looked up by exact ``iss`` (no network, no patterns)."""

    def __init__(self, registrations: Iterable[ClientRegistration] = ()) -> None:
        self._by_iss: dict[str, ClientRegistration] = {}
        for registration in registrations:
            key = normalize_iss(registration.iss)
            if key in self._by_iss:
                raise ConfigurationError(f"Two registrations for the same iss {key}")
            self._by_iss[key] = registration

    @classmethod
    def from_file(cls, path: Path | str) -> IssuerRegistry:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ConfigurationError(f"Cannot read registrations from {path}: {error}") from error
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise ConfigurationError(f"{path}: expected a JSON list of registration objects")
        return cls(ClientRegistration.from_mapping(item, base_dir=path.parent) for item in data)

    @classmethod
    def from_settings(cls, settings: Settings) -> IssuerRegistry:
        """The file's registrations, plus ``fhir_base_url`` as an open server only when
        ``open_server_launch`` opts in (an anonymous launch target is never implicit)."""
        registry = cls.from_file(settings.issuers_file) if settings.issuers_file else cls()
        opted_in = settings.open_server_launch and settings.fhir_base_url
        if opted_in and normalize_iss(settings.fhir_base_url or "") not in registry:
            base = normalize_iss(settings.fhir_base_url or "")
            registry._by_iss[base] = ClientRegistration(
                iss=base, client_id=None, auth_method="open"
            )
        return registry

    def __contains__(self, iss: object) -> bool:
        return isinstance(iss, str) and normalize_iss(iss) in self._by_iss

    def __iter__(self) -> Iterator[ClientRegistration]:
        return iter(self._by_iss.values())

    def __len__(self) -> int:
        return len(self._by_iss)

    def get(self, iss: str) -> ClientRegistration:
        """The registration for ``iss``; :class:`UnknownIssuerError` if it is not allowlisted."""
        registration = self._by_iss.get(normalize_iss(iss)) if isinstance(iss, str) else None
        if registration is None:
            shown = iss[:200] if isinstance(iss, str) else iss
            raise UnknownIssuerError(f"iss {shown!r} is not a registered FHIR server")
        return registration

    def default_standalone(self) -> ClientRegistration | None:
        """The registration flagged ``standalone``, else the only one there is, else None."""
        flagged = [r for r in self._by_iss.values() if r.standalone]
        if len(flagged) == 1:
            return flagged[0]
        if not flagged and len(self._by_iss) == 1:
            return next(iter(self._by_iss.values()))
        return None
