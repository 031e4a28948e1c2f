"""The FHIR conformance resources of ``fhir_profiles/`` as code: load them into a server,
validate against them, regenerate the examples from the engine's own output.

The JSON files in ``fhir_profiles/resources`` are the source of truth (the engine reads its code
lists from them, see ``smart_app.domain.terminology``); this package only reads and ships them.
"""

from __future__ import annotations

from smart_app.conformance.bundle import (
    PROFILE_IDS,
    conformance_bundle,
    conformance_resources,
    load_conformance,
    profile_url,
)
from smart_app.conformance.validate import ValidationResult, validate

__all__ = [
    "PROFILE_IDS",
    "ValidationResult",
    "conformance_bundle",
    "conformance_resources",
    "load_conformance",
    "profile_url",
    "validate",
]
