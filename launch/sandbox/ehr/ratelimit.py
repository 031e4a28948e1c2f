"""A rate-limited EHR: N requests per minute per base URL, then 429 for the rest of the minute.

As reported for eClinicalWorks (250 requests/minute per base URL; unverified third-party report).
The answer carries ``Retry-After`` (seconds until the window ends, RFC 9110 section 10.2.3).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

WINDOW_SECONDS = 60.0


class MinuteWindow:
    """A fixed one-minute window counter."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.time) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._window_start = clock()
        self._count = 0

    def admit(self) -> int | None:
        """None when the request may go; else the seconds to wait (for ``Retry-After``)."""
        with self._lock:
            now = self._clock()
            if now - self._window_start >= WINDOW_SECONDS:
                self._window_start, self._count = now, 0
            if self._count < self.per_minute:
                self._count += 1
                return None
            return max(1, math.ceil(self._window_start + WINDOW_SECONDS - now))


def parse_rate(text: str) -> int:
    """``250``, ``250/min`` or ``250/minute`` -> 250 (requests per minute)."""
    head, _, unit = text.strip().partition("/")
    if unit not in ("", "min", "minute", "m") or not head.isdigit() or int(head) < 1:
        raise ValueError(f"rate limit {text!r}: expected N or N/min with N >= 1")
    return int(head)
