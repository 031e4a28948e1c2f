"""ms-monitor: a SMART on FHIR app for benign multiple-sclerosis monitoring."""

from __future__ import annotations

from smart_app.app import create_app

__all__ = ["create_app"]
