"""Sandbox test fixtures (defined in sandbox_helpers)."""

from sandbox_helpers import app, client, clock, state, upstream

__all__ = ["app", "client", "clock", "state", "upstream"]
