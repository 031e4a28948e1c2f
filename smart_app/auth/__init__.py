"""SMART App Launch client side: allowlist, discovery, authorize, token exchange, refresh, stores.

The interface the web layer codes against (see the module docstrings for the spec links).
"""

from smart_app.auth.discovery import SmartConfiguration
from smart_app.auth.redact import RedactingFilter, redact
from smart_app.auth.registry import ClientRegistration, IssuerRegistry, normalize_iss
from smart_app.auth.scopes import can_read, can_write, launch_scopes
from smart_app.auth.smart_client import SmartClient
from smart_app.auth.store import MemoryTokenStore, RedisTokenStore, TokenStore, new_key
from smart_app.auth.token_source import (
    LaunchTokenSource,
    load_tokens,
    pop_pending,
    save_pending,
    save_tokens,
)
from smart_app.auth.tokens import LaunchContext, PendingLaunch, TokenSet, open_server_context
from smart_app.errors import AuthError, UnknownIssuerError

__all__ = [
    "AuthError",
    "ClientRegistration",
    "IssuerRegistry",
    "LaunchContext",
    "LaunchTokenSource",
    "MemoryTokenStore",
    "PendingLaunch",
    "RedactingFilter",
    "RedisTokenStore",
    "SmartClient",
    "SmartConfiguration",
    "TokenSet",
    "TokenStore",
    "UnknownIssuerError",
    "can_read",
    "can_write",
    "launch_scopes",
    "load_tokens",
    "new_key",
    "normalize_iss",
    "open_server_context",
    "pop_pending",
    "redact",
    "save_pending",
    "save_tokens",
]
