"""Search result paging as each vendor does it: opaque links into results held by the sandbox.

A vendor search is answered in full from HAPI, then served page by page from memory: Epic's
``?sessionID=``, Oracle's ``-pageContext=...&-pageDirection=NEXT``, athena's ``?cursor=``, and a
plain opaque ``?_page=`` for the US Core server. Pages remember the patient they were made for.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from launch.sandbox.ehr.profile import EhrProfile, TypeRule

PAGE_PARAM = {"epic": "sessionID", "oracle": "-pageContext", "athena": "cursor", "opaque": "_page"}
PAGE_LIFETIME_SECONDS = 600
MAX_PAGES_HELD = 2000


@dataclass(frozen=True, slots=True)
class HeldPage:
    """The rest of a search result, from ``offset``."""

    resource_type: str
    entries: tuple[dict[str, Any], ...]
    offset: int
    page_size: int
    patient: str | None
    created: float


class PageStore:
    """Pages of searches waiting to be fetched (in memory, expiring, bounded)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._pages: dict[str, HeldPage] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def hold(self, page: HeldPage) -> str:
        token = secrets.token_urlsafe(18)
        with self._lock:
            now = self._clock()
            for old in [k for k, p in self._pages.items() if p.created < now - 600]:
                del self._pages[old]
            while len(self._pages) >= MAX_PAGES_HELD:
                del self._pages[next(iter(self._pages))]
            self._pages[token] = page
        return token

    def take(self, token: str) -> HeldPage | None:
        with self._lock:
            return self._pages.get(token)


def page_size(profile: EhrProfile, rule: TypeRule, query: list[tuple[str, str]], total: int) -> int:
    """Entries per page: ``_count`` as a hint, the vendor's default without it, never above the
    type's cap (Oracle: Observation 200); everything at once for an unpaged type."""
    if rule.unpaged:
        return max(total, 1)
    asked = next((v for k, v in query if k == "_count"), "")
    size = int(asked) if asked.isdigit() and int(asked) > 0 else profile.default_count
    return min(size, rule.count_cap) if rule.count_cap else size


def page_token(profile: EhrProfile, params: list[tuple[str, str]]) -> str | None:
    """The paging token of a request, when it asks for a further page."""
    name = PAGE_PARAM.get(profile.paging)
    return next((v for k, v in params if k == name), None) if name else None


def searchset(
    profile: EhrProfile,
    store: PageStore,
    fhir_base: str,
    page: HeldPage,
    outcomes: list[dict[str, Any]],
) -> dict[str, Any]:
    """One page as a searchset Bundle, with the vendor's next link and ``total``."""
    end = page.offset + page.page_size
    shown = list(page.entries[page.offset : end])
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    matches = sum(1 for e in page.entries if e["search"]["mode"] == "match")
    if profile.total == "exact":
        bundle["total"] = matches
    elif profile.total == "page-size":
        bundle["total"] = sum(1 for e in shown if e["search"]["mode"] == "match")
    links = [{"relation": "self", "url": f"{fhir_base}/{page.resource_type}"}]
    if end < len(page.entries):
        rest = HeldPage(
            page.resource_type, page.entries, end, page.page_size, page.patient, page.created
        )
        token = store.hold(rest)
        query = [(PAGE_PARAM[profile.paging], token)]
        if profile.paging == "oracle":
            if page.patient:
                query.insert(0, ("patient", page.patient))
            query.append(("-pageDirection", "NEXT"))
        links.append(
            {"relation": "next", "url": f"{fhir_base}/{page.resource_type}?{urlencode(query)}"}
        )
    bundle["link"] = links
    bundle["entry"] = [*shown, *outcomes]
    return bundle
