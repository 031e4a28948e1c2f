"""FHIR date handling: partial precision and calendar months.

FHIR ``date``/``dateTime``/``instant`` values may be ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or a full
timestamp (https://hl7.org/fhir/R4/datatypes.html#dateTime). A partial value is a *range* of days;
:func:`parse_fhir_date` returns both ends and the extractor picks the conservative end for each use
(see ``extract.py``). Timestamps are read as the calendar date written in them (the time zone is the
clinic's: converting to UTC could move a visit to the previous or next day).

Months are calendar months clamped to the month end (docs/clinical-rules.md: 2025-03-15 + 6 months =
2025-09-15; 2025-08-31 + 6 months = 2026-02-28). This is ``dateutil.relativedelta``
arithmetic, written out
because it runs for every patient in the hot path.
"""

from __future__ import annotations

import calendar
import functools
from datetime import date, timedelta

import msgspec


class DateRange(msgspec.Struct, frozen=True):
    """The days a (possibly partial) FHIR date can mean: ``earliest`` .. ``latest`` inclusive.

    An extractor-private record, a frozen C struct: one is built for every date text not seen
    before (100,000 for a record with a result a day), cheaper than a named tuple or a frozen
    dataclass."""

    earliest: date
    latest: date
    partial: bool


#: Parsed values by their text: a record repeats its dates and a population repeats the same days
#: (values are immutable, so sharing them is safe). A plain dict, emptied when full: cheaper than an
#: LRU on every hit, and a 100,000-result record (all days distinct) only ever inserts.
_PARSED: dict[str, DateRange | None] = {}
#: The answer of ``_PARSED`` for a text not parsed yet (compared by identity, never returned).
_UNSEEN = DateRange(date.min, date.min, True)
_PARSED_MAX = 65_536


def parse_fhir_date(value: object) -> DateRange | None:
    """Parse a FHIR date/dateTime/instant string; None when it is not one."""
    if not isinstance(value, str) or len(value) < 4:
        return None
    found = _PARSED.get(value, _UNSEEN)  # one lookup; None is a remembered "not a date"
    if found is not _UNSEEN:
        return found
    parsed = _parse(value)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[value] = parsed
    return parsed


def _parse(value: str) -> DateRange | None:
    text = value.strip()
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        # the usual full date: the C parser accepts only ASCII ``YYYY-MM-DD`` here, which the
        # general path below reads the same way; anything it refuses takes the general path
        try:
            day = date.fromisoformat(text[:10])
        except ValueError:
            pass
        else:
            if len(text) > 10 and text[10] != "T":
                return None
            return DateRange(day, day, False)
    try:
        year = int(text[0:4])
        if len(text) == 4:
            return DateRange(date(year, 1, 1), date(year, 12, 31), partial=True)
        if text[4] != "-":
            return None
        month = int(text[5:7])
        if len(text) == 7:
            last = calendar.monthrange(year, month)[1]
            return DateRange(date(year, month, 1), date(year, month, last), partial=True)
        if text[7] != "-" or not text[8:10].isdigit():
            return None
        day = date(year, month, int(text[8:10]))
        if len(text) > 10 and text[10] != "T":
            return None
    except (ValueError, IndexError):
        return None
    return DateRange(day, day, partial=False)


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


#: Sums by (day, months): a population asks the same few (the as-of date minus each lookback, a
#: result's date plus its interval) for every patient, and a lookup costs a third of the sum.
#: ``functools.lru_cache`` (C) measured ~90 ns a hit against ~120 ns for a dict in Python.
@functools.lru_cache(maxsize=65_536)
def add_months(day: date, months: int) -> date:
    """``day`` plus calendar ``months`` (negative allowed), clamped to the end of the month."""
    index = day.month - 1 + months
    year = day.year + index // 12
    month = index % 12 + 1
    if year < 1:
        return date.min
    if year > 9999:
        return date.max
    dom = day.day
    if dom > 28:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        last = 29 if month == 2 and leap else _MONTH_DAYS[month - 1]
        dom = min(dom, last)
    return date(year, month, dom)


#: ISO texts by day: a population's reports and rationales repeat the same few days, and
#: ``date.isoformat`` (a C format call) costs about three times a lookup. Emptied when full.
_ISO: dict[date, str] = {}
_ISO_MAX = 65_536


def iso_day(day: date) -> str:
    """``day.isoformat()`` (``YYYY-MM-DD``), remembered."""
    text = _ISO.get(day)
    if text is None:
        if len(_ISO) >= _ISO_MAX:
            _ISO.clear()
        text = _ISO[day] = day.isoformat()
    return text


def add_days(day: date, days: int) -> date:
    """``day`` plus ``days``, saturating at the representable range instead of raising."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def years_between(start: date, end: date) -> float:
    """Disease duration in years: days / 365.25 (docs/clinical-rules.md)."""
    return (end - start).days / 365.25
