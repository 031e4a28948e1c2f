"""Response headers, the Origin check on POSTs, and log redaction.

* CSP (https://www.w3.org/TR/CSP3/): only our own scripts/styles/images; ``frame-ancestors`` lists
  the EHRs allowed to embed the app (the SMART EHR launch runs it in an iframe).
* ``Referrer-Policy: no-referrer`` everywhere except pages with a form, which use ``same-origin``:
  under ``no-referrer`` browsers send ``Origin: null`` on a same-origin POST (Fetch, "append a
  request Origin header"), and the Origin is what proves the POST came from our own page.
* Behind a TLS-terminating proxy, ``MS_MONITOR_PUBLIC_URL`` (or ProxyFix, smart_app.web.hardening)
  gives the origin the Origin check compares with and turns HSTS on.
* Werkzeug/gunicorn access logs print the request line: the OAuth callback's query string holds
  the authorization code and state, the launch's the launch id (and, on open servers, a patient
  id), so their query strings are cut from log records.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from flask import Flask, Request, Response, current_app, request

from smart_app.auth.redact import redact
from smart_app.auth.registry import IssuerRegistry
from smart_app.web.runtime import EXTENSION

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


def _add_filter(filterer: logging.Filterer) -> None:
    if not any(isinstance(f, RedactingFilter) for f in filterer.filters):
        filterer.addFilter(RedactingFilter())


def install_log_redaction() -> None:
    """Attach the filter to the request loggers of the dev server and of gunicorn, to every
    ``smart_app`` logger, and to the *handlers* of those and of the root logger.

    A logger's filters apply only to records created on that very logger: a record of
    ``smart_app.web.launch`` propagates to its ancestors' handlers without passing the filter
    of ``smart_app`` (https://docs.python.org/3/howto/logging.html#logging-flow). Handlers see
    every record that reaches them, whichever logger made it."""
    names = ["werkzeug", "gunicorn.access", "gunicorn.error", "smart_app"]
    names += [n for n in logging.root.manager.loggerDict if n.startswith("smart_app.")]
    loggers = [logging.getLogger(name) for name in names]
    for logger in loggers:
        _add_filter(logger)
    for logger in [logging.root, *loggers]:
        for handler in logger.handlers:
            _add_filter(handler)
    if logging.lastResort is not None:  # used when no handler is configured at all
        _add_filter(logging.lastResort)


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


def configured_public_origin() -> str | None:
    """The origin of ``MS_MONITOR_PUBLIC_URL``: what the browser sees when a proxy terminates
    TLS in front of the app (the app itself then sees plain http and the proxy's Host)."""
    runtime = current_app.extensions.get(EXTENSION)
    url = getattr(getattr(runtime, "settings", None), "public_url", None)
    return origin_of(url) if isinstance(url, str) and url else None


def same_origin_post(req: Request, public_origin: str | None = None) -> bool:
    """True when a POST's Origin (else Referer) is this app's own (public) origin."""
    own = public_origin or configured_public_origin() or origin_of(req.host_url)
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
        public = configured_public_origin() or ""
        if request.is_secure or public.startswith("https://"):  # also behind a TLS proxy
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response
