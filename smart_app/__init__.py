"""ms-monitor: a SMART on FHIR app for benign multiple-sclerosis monitoring.

``create_app`` (the Flask factory, smart_app.web.app) is imported on first use, so that importing
the pure engine (``smart_app.domain``) loads no web stack.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from smart_app.web.app import create_app

        return create_app
    raise AttributeError(f"module 'smart_app' has no attribute {name!r}")
