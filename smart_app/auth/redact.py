"""Keep credentials out of logs: tokens, codes, PKCE verifiers, client assertions, secrets.

A leaked access token is a leaked chart; a leaked code plus verifier is one too
(https://hl7.org/fhir/smart-app-launch/best-practices.html). :func:`redact` is applied to any
text that may carry a URL, a form body, a JSON token response or an Authorization header;
:class:`RedactingFilter` applies it to every record of a logger or handler.
"""

from __future__ import annotations

import logging
import re

MASK = "[redacted]"

_SECRET_NAMES = "|".join(  # names of credential-bearing parameters, not credentials
    (
        "access_token",
        "refresh_token",
        "id_token",
        "code",
        "code_verifier",
        "client_assertion",
        "client_secret",
        "assertion",
        "launch",
        "state",
        "nonce",
        "password",
    )
)
# key=value in URLs and form bodies
_FORM = re.compile(rf"(?i)(?<![A-Za-z0-9_])({_SECRET_NAMES})=([^&\s#\"']+)")
# "key": "value" in JSON
_JSON = re.compile(rf"(?i)(\"(?:{_SECRET_NAMES})\"\s*:\s*)\"[^\"]*\"")
# Authorization header values
_AUTH_HEADER = re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+")
# anything shaped like a compact JWS/JWT (header.payload.signature)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def redact(text: str) -> str:
    """``text`` with every credential-bearing value replaced by ``[redacted]``."""
    text = _JWT.sub(MASK, text)
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _FORM.sub(lambda m: f"{m.group(1)}={MASK}", text)
    return _JSON.sub(lambda m: f'{m.group(1)}"{MASK}"', text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message through :func:`redact` (install on handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True
