"""FHIR REST access: the only HTTP client of ms-monitor."""

from smart_app.fhir.client import FhirClient, TokenSource, bundle_resources, next_link
from smart_app.fhir.outcome import operation_outcome_text

__all__ = ["FhirClient", "TokenSource", "bundle_resources", "next_link", "operation_outcome_text"]
