"""Sandbox test fixtures (defined in sandbox_helpers)."""

from tests.sandbox.sandbox_helpers import app, client, clock, state, upstream

__all__ = ["app", "client", "clock", "state", "upstream"]
