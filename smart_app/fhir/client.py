"""A thin FHIR R4 REST client: the only place ms-monitor speaks HTTP to a FHIR server.

What it adds on top of ``requests``, and why:
- a timeout on every call (a hung EHR must not hang a launch or a worker);
- retries with backoff on 429/503 and connection errors, honouring ``Retry-After``
  (urllib3's ``Retry``; https://hl7.org/fhir/R4/http.html#concurrency says servers may throttle);
- one re-authentication on 401 through a :class:`TokenSource` (SMART token refresh);
- errors as :mod:`smart_app.errors` types carrying the OperationOutcome text;
- search paging by following ``link[relation=next]`` only on the same server (a token is never
  sent to another origin);
- batch and transaction Bundles (https://hl7.org/fhir/R4/http.html#transaction).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from smart_app.errors import FhirAuthError, FhirError, FhirFatalError, FhirTemporaryError
from smart_app.fhir.outcome import operation_outcome_text

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
_TEMPORARY_STATUSES = frozenset({429, 503})


@dataclass(frozen=True, slots=True)
class WriteAnswer:
    """A write's answer: EHRs often send an empty body with only ``Location`` and ``ETag``."""

    status: int
    location: str
    etag: str
    resource: dict[str, Any] | None


class TokenSource(Protocol):
    """Supplies the Authorization header; implemented by the SMART and Backend Services code."""

    def authorization(self) -> str | None:
        """The header value (``Bearer ...``), or None for an open server."""

    def refresh(self) -> bool:
        """Get a new token after a 401. Return False when that is not possible."""


@runtime_checkable
class ScopedTokenSource(TokenSource, Protocol):
    """A token source that knows the scopes its token was granted (Backend Services)."""

    def granted_scopes(self) -> frozenset[str]:
        """The scopes of the current token (fetching one first if needed)."""


def _retry_policy(retries: int, backoff_seconds: float) -> Retry:
    return Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        status_forcelist=_TEMPORARY_STATUSES,
        allowed_methods=None,  # transactions are idempotent (conditional creates): retry POST too
        backoff_factor=backoff_seconds,
        respect_retry_after_header=True,
        raise_on_status=False,
    )


class FhirClient:
    """Talks to one FHIR server at ``base_url`` (e.g. ``https://hapi.fhir.org/baseR4``)."""

    def __init__(
        self,
        base_url: str,
        *,
        token_source: TokenSource | None = None,
        timeout_seconds: float = 30.0,
        retries: int = 3,
        backoff_seconds: float = 0.5,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._origin = _origin(self.base_url)
        self._token_source = token_source
        self._timeout = timeout_seconds
        self._session = session or requests.Session()
        adapter = HTTPAdapter(max_retries=_retry_policy(retries, backoff_seconds))
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        # Writes that are not idempotent (an EHR note: no conditional create) are never re-sent
        # after the request left: only a refused connection is retried on this session.
        self._once_session = requests.Session()
        once = HTTPAdapter(
            max_retries=Retry(total=retries, connect=retries, read=0, status=0, other=0)
        )
        self._once_session.mount("http://", once)
        self._once_session.mount("https://", once)
        self.request_count = 0

    @property
    def token_source(self) -> TokenSource | None:
        """Where the Authorization header comes from (None: an open server)."""
        return self._token_source

    # -- basic interactions -------------------------------------------------------------------

    def capabilities(self) -> dict[str, Any]:
        """The server's CapabilityStatement (``GET [base]/metadata``)."""
        return self._json("GET", "metadata")

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any]:
        return self._json("GET", f"{resource_type}/{resource_id}")

    def create(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        return self._json("POST", str(resource["resourceType"]), body=resource)

    def update(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        return self._json("PUT", f"{resource['resourceType']}/{resource['id']}", body=resource)

    def delete(self, path: str) -> None:
        self._send("DELETE", path)

    def operation(
        self,
        path: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Invoke an operation such as ``Observation/$validate`` (POST when a body is given)."""
        return self._json("POST" if body is not None else "GET", path, body=body, params=params)

    def write_once(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
    ) -> WriteAnswer:
        """One create or update that is not re-sent after a timeout (the server may have
        committed it: the caller reads before any retry). Returns ``Location`` and ``ETag``."""
        response = self._send(method, path, body=body, headers=headers, once=True)
        location = response.headers.get("Location") or response.headers.get("Content-Location")
        resource: dict[str, Any] | None = None
        if response.content:
            try:
                parsed = response.json()
            except ValueError:
                parsed = None
            resource = parsed if isinstance(parsed, dict) else None
        return WriteAnswer(
            status=response.status_code,
            location=location or "",
            etag=response.headers.get("ETag", ""),
            resource=resource,
        )

    # -- search, batch, transaction ------------------------------------------------------------

    def search_pages(
        self, resource_type: str, params: Mapping[str, str] | Sequence[tuple[str, str]] = ()
    ) -> Iterator[dict[str, Any]]:
        """Yield each searchset Bundle page, following ``next`` links on the same server."""
        page = self._json("GET", resource_type, params=params)
        while True:
            yield page
            next_url = next_link(page)
            if next_url is None:
                return
            page = self.page(next_url)

    def page(self, url: str) -> dict[str, Any]:
        """GET a paging link the server gave us; only on the same server (no token leaks)."""
        if _origin(url) != self._origin:
            raise FhirFatalError(f"refusing a next link to another server: {_display(url)}")
        return self._json("GET", url)

    def search(
        self, resource_type: str, params: Mapping[str, str] | Sequence[tuple[str, str]] = ()
    ) -> Iterator[dict[str, Any]]:
        """Yield every resource of every page (``search.mode`` match and include alike)."""
        for page in self.search_pages(resource_type, params):
            yield from bundle_resources(page)

    def batch_get(self, urls: Sequence[str]) -> list[dict[str, Any]]:
        """Run several GETs in one batch Bundle; return each entry's resource (a Bundle for
        searches). A failed entry raises with its OperationOutcome text."""
        bundle = {
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [{"request": {"method": "GET", "url": url}} for url in urls],
        }
        response = self._json("POST", "", body=bundle)
        results: list[dict[str, Any]] = []
        for url, entry in zip(urls, response.get("entry") or [], strict=False):
            status = str((entry.get("response") or {}).get("status", ""))
            resource = entry.get("resource") or {}
            if not status.startswith("2"):
                outcome = (entry.get("response") or {}).get("outcome") or resource
                raise FhirFatalError(
                    f"batch entry GET {url} failed with {status}",
                    status=_status_code(status),
                    outcome=operation_outcome_text(_dumps(outcome)),
                )
            results.append(resource)
        if len(results) != len(urls):
            raise FhirFatalError(f"batch answered {len(results)} entries for {len(urls)} requests")
        return results

    def transaction(self, bundle: Mapping[str, Any]) -> dict[str, Any]:
        """POST a transaction Bundle; the server applies all of it or nothing."""
        return self._json("POST", "", body=bundle)

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """A raw request with this client's auth, retries and errors (Bulk Data kick-off with
        ``Prefer: respond-async``, status polling, NDJSON downloads). Absolute URLs must be on
        this server (no token leaks); a non-2xx answer raises."""
        if path.startswith(("http://", "https://")) and _origin(path) != self._origin:
            raise FhirFatalError(f"refusing a request to another server: {_display(path)}")
        return self._send(method, path, params=params, headers=headers, stream=stream)

    # -- plumbing ------------------------------------------------------------------------------

    def _json(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    ) -> dict[str, Any]:
        response = self._send(method, path, body=body, params=params)
        try:
            parsed: Any = response.json()
        except ValueError as exc:
            raise FhirFatalError(
                f"{method} {_display(path)}: the server's answer is not JSON",
                status=response.status_code,
            ) from exc
        if not isinstance(parsed, dict) or "resourceType" not in parsed:
            raise FhirFatalError(
                f"{method} {_display(path)}: the server's answer is not a FHIR resource",
                status=response.status_code,
            )
        return parsed

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        once: bool = False,
    ) -> requests.Response:
        url = path if path.startswith(("http://", "https://")) else self._url(path)
        if params:
            pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
            url = f"{url}?{urlencode(pairs)}"
        refreshed = False
        while True:
            response = self._send_once(method, url, body, headers, stream, once=once)
            if response.status_code == 401 and not refreshed and self._can_refresh():
                refreshed = True
                continue
            break
        if response.ok:
            return response
        outcome = operation_outcome_text(response.content)
        message = f"{method} {_display(url)} failed with HTTP {response.status_code}"
        error_type: type[FhirError]
        if response.status_code in _TEMPORARY_STATUSES:
            error_type = FhirTemporaryError
        elif response.status_code == 401:
            error_type = FhirAuthError
        else:
            error_type = FhirFatalError
        raise error_type(message, status=response.status_code, outcome=outcome)

    def _send_once(
        self,
        method: str,
        url: str,
        body: Mapping[str, Any] | None,
        extra_headers: Mapping[str, str] | None = None,
        stream: bool = False,
        *,
        once: bool = False,
    ) -> requests.Response:
        headers = {"Accept": FHIR_JSON, **(extra_headers or {})}
        if body is not None:
            headers["Content-Type"] = FHIR_JSON
        authorization = self._token_source.authorization() if self._token_source else None
        if authorization:
            headers["Authorization"] = authorization
        self.request_count += 1
        try:
            session = self._once_session if once else self._session
            return session.request(
                method,
                url,
                data=_dumps(body).encode() if body is not None else None,
                headers=headers,
                timeout=self._timeout,
                stream=stream,
            )
        except requests.Timeout as exc:
            raise FhirTemporaryError(f"{method} {_display(url)} timed out") from exc
        except requests.RequestException as exc:
            raise FhirTemporaryError(
                f"{method} {_display(url)}: cannot reach the FHIR server ({type(exc).__name__})"
            ) from exc

    def _can_refresh(self) -> bool:
        return self._token_source is not None and self._token_source.refresh()

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path}" if path else self.base_url


def bundle_resources(bundle: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The resources in a Bundle's entries (entries without a resource are skipped)."""
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict):
            yield resource


def next_link(bundle: Mapping[str, Any]) -> str | None:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and link.get("url"):
            return str(link["url"])
    return None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _display(url: str) -> str:
    """The URL without its query: query strings can carry patient identifiers."""
    return url.split("?", 1)[0] or "[base]"


def _status_code(status: str) -> int | None:
    head = status.split(" ", 1)[0]
    return int(head) if head.isdigit() else None


def _dumps(body: Any) -> str:
    return json.dumps(body, separators=(",", ":"))
