"""Response headers, the Origin check on POSTs, and log redaction.

* CSP (https://www.w3.org/TR/CSP3/): only our own scripts/styles/images; ``frame-ancestors`` lists
  the EHRs allowed to embed the app (the SMART EHR launch runs it in an iframe).
* ``Referrer-Policy: no-referrer`` everywhere except pages with a form, which use ``same-origin``:
  under ``no-referrer`` browsers send ``Origin: null`` on a same-origin POST (Fetch, "append a
  request Origin header"), and the Origin is what proves the POST came from our own page.
* Werkzeug/gunicorn access logs print the request line: the OAuth callback's query string holds
  the authorization code and state, the launch's the launch id (and, on open servers, a patient
  id), so their query strings are cut from log records.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from flask import Flask, Request, Response, request

from smart_app.auth.redact import redact
from smart_app.auth.registry import IssuerRegistry

#: Paths whose query string is never logged.
_SECRET_QUERY = re.compile(r"(/(?:callback|launch|standalone)[^?\s\"]*)\?[^\s\"]*")


def redact_log_text(text: str) -> str:
    """Drop the query of launch/callback URLs, then any credential (smart_app.auth.redact)."""
    return redact(_SECRET_QUERY.sub(r"\1?[redacted]", text))


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message through :func:`redact_log_text`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_log_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction() -> None:
    """Attach the filter to the request loggers of the dev server and of gunicorn."""
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error", "smart_app"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def frame_ancestors(configured: str, registry: IssuerRegistry) -> str:
    """The configured sources plus the origin of every allowlisted EHR (FHIR base)."""
    sources = configured.split()
    for registration in registry:
        origin = origin_of(registration.iss)
        if origin and origin not in sources and not registration.is_open:
            sources.append(origin)
    return " ".join(sources)


def content_security_policy(ancestors: str) -> str:
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; "
        f"frame-ancestors {ancestors}"
    )


def same_origin_post(req: Request, public_origin: str | None = None) -> bool:
    """True when a POST's Origin (else Referer) is this app's own origin."""
    own = public_origin or origin_of(req.host_url)
    origin = req.headers.get("Origin")
    if origin and origin != "null":
        return origin.lower() == own
    referer = req.headers.get("Referer")
    return bool(referer) and origin_of(referer or "") == own


def init_security(app: Flask, *, ancestors: str) -> None:
    """Set the security headers on every response."""
    policy = content_security_policy(ancestors)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers["Cache-Control"] = "no-store"
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response
