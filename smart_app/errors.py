"""The one exception hierarchy of ms-monitor.

Every error the app raises on purpose is an :class:`MsMonitorError`. FHIR errors say whether they
are *temporary* (worth a retry: timeouts, 429, 503) or *fatal*, and carry the server's
OperationOutcome text so that a clinician or an integrator sees the server's own words.
"""

from __future__ import annotations


class MsMonitorError(Exception):
    """Base class: anything ms-monitor reports as a clear, one-line error."""


class ConfigurationError(MsMonitorError):
    """A setting is missing or inconsistent (checked at start-up, never mid-request)."""


class InputError(MsMonitorError):
    """User-supplied input (a file, a CLI argument) cannot be used. Nothing was changed."""


class FhirError(MsMonitorError):
    """A FHIR server answered with an error or could not be reached.

    ``status`` is the HTTP status (None when no response arrived); ``outcome`` is the diagnostics
    text of the OperationOutcome the server sent, if any.
    """

    temporary: bool = False

    def __init__(
        self, message: str, *, status: int | None = None, outcome: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.outcome = outcome

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}: {self.outcome}" if self.outcome else text


class FhirTemporaryError(FhirError):
    """Timeouts, connection errors, 429 and 503: retried with backoff before surfacing."""

    temporary = True


class FhirFatalError(FhirError):
    """4xx/5xx answers that a retry would not fix (400, 403, 404, 409, 412, 422, 500...)."""


class FhirAuthError(FhirFatalError):
    """401: the token was refused; the caller may re-authenticate once."""


class AuthError(MsMonitorError):
    """A SMART/OAuth step failed (discovery, authorization, token exchange, validation)."""


class UnknownIssuerError(AuthError):
    """A launch named an ``iss`` that is not on the allowlist; nothing was sent to it."""
