"""``smart_app.app:create_app``: the application factory, which lives with the web layer."""

from __future__ import annotations

from smart_app.web.app import create_app

__all__ = ["create_app"]
