"""The disease-course chart's input and its text alternative (issue 12, item 3).

Plain frozen values built from the patient timeline by ``view.py``, and everything the chart says
in words: the ``<desc>`` sentence, the data-table rows and the legend. The W3C complex-image pattern
(https://www.w3.org/WAI/tutorials/images/complex/) wants both a short and a long description; the
numbers of the table are the ones the SVG draws. Pure: no Flask, no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class EdssMark:
    """One EDSS; not ``stable`` when measured within the stability days after a relapse onset."""

    date: date
    value: float
    stable: bool
    ref: str = ""


@dataclass(frozen=True, slots=True)
class RelapseMark:
    """A relapse onset; a partial date (YYYY-MM) spans ``onset`` .. ``onset_latest``."""

    onset: date
    onset_latest: date
    ref: str = ""


@dataclass(frozen=True, slots=True)
class ScanMark:
    """One MRI scan and the lesion counts reported for it (None: not reported)."""

    date: date
    region: str  # "brain" | "spine" | "" (a report without its study)
    new_t2: float | None
    gd: float | None
    refs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DmtRun:
    """An unbroken run of one DMT; ``current`` runs reach the as-of date."""

    drug: str
    start: date
    end: date
    current: bool
    refs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CourseInput:
    """Everything the chart shows, as plain values (built from the timeline by ``view.py``)."""

    as_of: date
    edss: tuple[EdssMark, ...]
    relapses: tuple[RelapseMark, ...]
    scans: tuple[ScanMark, ...]
    dmt_runs: tuple[DmtRun, ...]
    window_start: date  # the activity lookback window ends at ``as_of``
    threshold: float  # the benign EDSS limit of the rule settings
    unstable_days: int  # EDSS within this many days after a relapse onset is not stable


@dataclass(frozen=True, slots=True)
class CourseRow:
    """One row of the chart's data table."""

    date: date
    event: str
    detail: str
    refs: tuple[str, ...]


def edss_text(value: float) -> str:
    return f"{value:.1f}"


def relapse_when(mark: RelapseMark) -> str:
    """The onset as precisely as it is known: a day, a month (YYYY-MM), a year, or a range."""
    first, last = mark.onset, mark.onset_latest
    if first == last:
        return first.isoformat()
    same_month = (first.year, first.month) == (last.year, last.month)
    if same_month and first.day == 1 and (last + timedelta(days=1)).day == 1:
        return first.strftime("%Y-%m")
    if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31) and first.year == last.year:
        return str(first.year)
    return f"{first.isoformat()} to {last.isoformat()}"


def scan_counts(scan: ScanMark) -> str:
    def count(value: float | None, what: str) -> str:
        return f"{value:g} {what}" if value is not None else f"{what} not reported"

    return f"{count(scan.new_t2, 'new T2')}, {count(scan.gd, 'Gd+')}"


def scan_name(scan: ScanMark) -> str:
    return f"{scan.region.capitalize()} MRI" if scan.region else "MRI report"


def course_description(data: CourseInput) -> str:
    """The ``<desc>``: what a sighted reader takes from the chart, in a few sentences."""
    parts: list[str] = []
    edss = sorted(data.edss, key=lambda m: m.date)
    if edss:
        low, high = min(m.value for m in edss), max(m.value for m in edss)
        unstable = sum(1 for m in edss if not m.stable)
        parts.append(
            f"{len(edss)} EDSS measurements from {edss[0].date.isoformat()} to "
            f"{edss[-1].date.isoformat()}, ranging {low:.1f} to {high:.1f}; latest "
            f"{edss_text(edss[-1].value)} on {edss[-1].date.isoformat()}"
            + (f"; {unstable} within {data.unstable_days} days of a relapse." if unstable else ".")
        )
    else:
        parts.append("No EDSS measurement is recorded.")
    parts.append(f"Benign threshold EDSS {edss_text(data.threshold)}.")
    if data.relapses:
        latest = max(data.relapses, key=lambda r: r.onset)
        count = len(data.relapses)
        parts.append(f"{count} relapse{'s' if count != 1 else ''}, latest {relapse_when(latest)}.")
    else:
        parts.append("No relapse recorded.")
    if data.scans:
        latest_scan = max(data.scans, key=lambda s: s.date)
        parts.append(
            f"{len(data.scans)} MRI scan{'s' if len(data.scans) != 1 else ''}, latest "
            f"{latest_scan.date.isoformat()}: {scan_counts(latest_scan)}."
        )
    else:
        parts.append("No MRI recorded.")
    if data.dmt_runs:
        runs = sorted(data.dmt_runs, key=lambda r: r.start)
        parts.append(
            "Disease-modifying therapy: "
            + "; ".join(
                f"{r.drug} {r.start.isoformat()} to {'now' if r.current else r.end.isoformat()}"
                for r in runs
            )
            + "."
        )
    else:
        parts.append("No disease-modifying therapy recorded.")
    parts.append(
        f"Shaded: the activity lookback window {data.window_start.isoformat()} to "
        f"{data.as_of.isoformat()}."
    )
    return " ".join(parts)


def course_table(data: CourseInput) -> list[CourseRow]:
    """The chart's numbers as table rows in date order (the data-table text alternative)."""
    rows = [
        CourseRow(
            m.date,
            "EDSS",
            edss_text(m.value)
            + ("" if m.stable else f" (within {data.unstable_days} days of a relapse onset)"),
            (m.ref,) if m.ref else (),
        )
        for m in data.edss
    ]
    rows += [
        CourseRow(r.onset, "Relapse", f"onset {relapse_when(r)}", (r.ref,) if r.ref else ())
        for r in data.relapses
    ]
    rows += [CourseRow(s.date, scan_name(s), scan_counts(s), s.refs) for s in data.scans]
    rows += [
        CourseRow(
            r.start,
            "DMT",
            f"{r.drug} {r.start.isoformat()} to {'now' if r.current else r.end.isoformat()}",
            r.refs,
        )
        for r in data.dmt_runs
    ]
    order = {"EDSS": 1, "Relapse": 0, "DMT": 3}
    rows.sort(key=lambda row: (row.date, order.get(row.event, 2)))
    return rows


def legend_items(data: CourseInput) -> list[tuple[str, str]]:
    """(swatch, explanation) for each kind of mark in the chart."""
    return [
        ("stable", "EDSS, stable: used for the classification"),
        (
            "unstable",
            f"EDSS within {data.unstable_days} days of a relapse onset (hollow): "
            "not used for the classification",
        ),
        ("threshold", f"EDSS {edss_text(data.threshold)}: the benign limit"),
        ("relapse", "Relapse onset"),
        ("scan", "MRI scan with its new/enlarging T2 and gadolinium-enhancing (Gd+) lesion counts"),
        ("dmt", "Disease-modifying therapy, one lane per drug"),
        (
            "window",
            f"Activity lookback: {data.window_start.isoformat()} to {data.as_of.isoformat()}",
        ),
    ]
