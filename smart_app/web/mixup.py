"""OAuth mix-up defence (RFC 9700 section 4.4, https://www.rfc-editor.org/rfc/rfc9700#section-4.4).

With several registered EHRs, a hostile one can send the browser to an honest authorization server
and have its code come back to us as if it were its own, hoping we exchange it at the hostile
token endpoint. The defence of RFC 9700 4.4.2.2: each registration has its own redirect URI
(``/callback/<name>``), and a callback is accepted only on the redirect URI of the launch its
``state`` belongs to. RFC 9207's ``iss`` check (smart_app.auth.smart_client) and an issuer pinned
per registration (``authorization_server_issuer``, smart_app.auth.discovery) complete it.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import request

from smart_app.auth.tokens import PendingLaunch
from smart_app.web.pages import error_page

log = logging.getLogger(__name__)


def arrived_on_redirect_uri(pending: PendingLaunch) -> bool:
    """True when this request's path is the path of the pending launch's redirect URI."""
    expected = urlsplit(pending.redirect_uri).path.rstrip("/")
    arrived = (request.script_root + request.path).rstrip("/")
    return bool(expected) and arrived == expected


def mixup_refusal(pending: PendingLaunch) -> tuple[str, int] | None:
    """An error page when the callback came in on another registration's redirect URI."""
    if arrived_on_redirect_uri(pending):
        return None
    log.warning("callback refused: it arrived on another registration's redirect URI (mix-up)")
    return error_page(
        "Launch refused",
        "This sign-in response arrived at another EHR's return address, so it is not used. "
        "Launch the app again from your EHR.",
        400,
    )
