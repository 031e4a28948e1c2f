"""``python -m bench.screenshots``: regenerate the pictures in docs/, on purpose only.

* docs/course-chart-15y.png: the disease-course chart of a synthetic 15-year history (no patient
  data) with the app's own stylesheet in Debian's Chromium (Playwright), so the picture in docs/
  is what the dashboard draws. The layout tests use :func:`fifteen_year_history` as input.
* ``--dashboards [FHIR_BASE]``: docs/dashboard-{benign,active,natalizumab}.png, the top of the
  dashboard of three synthetic scenario patients as a clinician first sees it. The patients are
  loaded into the HAPI FHIR server at FHIR_BASE (default: bench.fhir_server, i.e.
  ``FHIR_BASE_URL`` or a throwaway one started with launch/hapi/hapi.sh), and the app runs on
  loopback in open-server mode against it.
* ``--worklist [FHIR_BASE]``: docs/worklist.png, the clinic's worklist of a few synthetic scenario
  patients whose plans were written by each dashboard's "Write plan" (open server), then read
  back through the SMART sandbox in front of the same server after a provider sign-in.

Not run by the tests.
"""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

from bench.fhir_server import fhir_server
from smart_app.domain import DEFAULT_SETTINGS
from smart_app.domain.dates import add_months
from smart_app.web.course_chart import course_figure_html
from smart_app.web.course_data import (
    CourseInput,
    DmtRun,
    EdssMark,
    RelapseMark,
    ScanMark,
)

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "course-chart-15y.png"
CSS = ROOT / "smart_app" / "web" / "static" / "app.css"
CHROMIUM = "/usr/bin/chromium"
AS_OF = date(2026, 11, 24)
#: scenario -> picture (issue 12: the dashboard of a benign, an active and a natalizumab patient)
DASHBOARDS = {
    "benign-strict": "dashboard-benign.png",
    "activity-relapse": "dashboard-active.png",
    "natalizumab-jcv-positive": "dashboard-natalizumab.png",
}


def fifteen_year_history(as_of: date = AS_OF) -> CourseInput:
    """A relapsing course over 15 years: 45 EDSS visits (some right after relapses), six relapses
    (two in one week, one known to the month only), yearly MRIs with counts, three DMT runs."""
    start = date(as_of.year - 15, 3, 2)
    onsets = [
        date(start.year + 1, 5, 10),
        date(start.year + 3, 9, 2),
        date(start.year + 3, 9, 6),
        date(start.year + 7, 2, 14),
        date(start.year + 11, 6, 20),
        date(start.year + 14, 4, 3),
    ]
    relapses = [RelapseMark(d, d, f"Condition/relapse-{i}") for i, d in enumerate(onsets)]
    relapses.append(
        RelapseMark(date(start.year + 9, 10, 1), date(start.year + 9, 10, 31), "Condition/r-p")
    )
    edss: list[EdssMark] = []
    for i in range(45):
        day = start + timedelta(days=i * 122)
        if day > as_of:
            break
        near = any(timedelta(0) <= day - onset <= timedelta(days=30) for onset in onsets)
        value = min(1.0 + 0.5 * (i // 9) + (1.0 if near else 0.0) + 0.5 * (i % 3 == 0), 10.0)
        edss.append(EdssMark(day, value, not near, f"Observation/edss-{i}"))
    for onset in onsets[1:3]:  # visits in the crowded relapse week
        edss.append(EdssMark(onset + timedelta(days=3), 3.5, False, f"Observation/e-{onset}"))
    scans = [
        ScanMark(date(start.year + y, 6, 15), "brain", float(y % 4 == 1), float(y % 5 == 1))
        for y in range(16)
        if date(start.year + y, 6, 15) <= as_of
    ]
    scans += [
        ScanMark(date(start.year + 3, 9, 8), "brain", 3.0, 2.0),
        ScanMark(date(start.year + 3, 9, 8), "spine", 1.0, 1.0),
        ScanMark(date(start.year + 3, 9, 12), "", 2.0, None),
    ]
    runs = [
        DmtRun(
            "interferon beta-1a", date(start.year + 1, 8, 1), date(start.year + 4, 1, 10), False
        ),
        DmtRun("dimethyl fumarate", date(start.year + 4, 2, 1), date(start.year + 8, 3, 1), False),
        DmtRun("natalizumab", date(start.year + 8, 4, 1), as_of, True),
        DmtRun(
            "interferon beta-1a", date(start.year + 8, 3, 2), date(start.year + 8, 3, 20), False
        ),
    ]
    settings = DEFAULT_SETTINGS
    return CourseInput(
        as_of=as_of,
        edss=tuple(sorted(edss, key=lambda m: m.date)),
        relapses=tuple(sorted(relapses, key=lambda r: r.onset)),
        scans=tuple(sorted(scans, key=lambda s: s.date)),
        dmt_runs=tuple(runs),
        window_start=add_months(as_of, -settings.activity_lookback_months),
        threshold=settings.benign_edss_max,
        unstable_days=settings.stable_edss_days_after_relapse,
    )


def chart_page(data: CourseInput) -> str:
    """A standalone HTML page with the chart and its legend, styled by the app's stylesheet."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Disease course</title>'
        f"<style>{CSS.read_text()}</style></head><body><main>"
        f'<section class="panel"><h2>Disease course</h2>{course_figure_html(data)}'
        "</section></main></body></html>"
    )


@contextmanager
def _app_against(fhir_base: str) -> Iterator[str]:
    """The app on a free loopback port, with one open-server registration: ``fhir_base``."""
    from werkzeug.serving import make_server

    from smart_app import create_app
    from smart_app.settings import Settings

    with tempfile.TemporaryDirectory() as config_dir:
        issuers = Path(config_dir) / "issuers.json"
        issuers.write_text(json.dumps([{"iss": fhir_base, "auth_method": "open"}]))
        settings = Settings(
            issuers_file=issuers, cookie_secure=False, secret_key=secrets.token_hex(16)
        )
        server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            server.server_close()


def dashboard_screenshots(fhir_base: str) -> list[Path]:
    """Load the scenario patients into ``fhir_base`` and picture the top of each dashboard."""
    from playwright.sync_api import sync_playwright

    from smart_app.fhir import FhirClient
    from smart_app.synthetic import cohort, transaction_bundle

    patients = {p.scenario: p for p in cohort(as_of=date.today()) if p.scenario in DASHBOARDS}
    FhirClient(fhir_base).transaction(transaction_bundle(patients.values()))
    written = []
    with _app_against(fhir_base) as app, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        for scenario, name in DASHBOARDS.items():
            query = urlencode({"iss": fhir_base, "patient": patients[scenario].patient_id})
            page.goto(f"{app}/launch?{query}")
            page.locator("#summary").wait_for(timeout=60_000)
            output = ROOT / "docs" / name
            page.screenshot(path=str(output))
            written.append(output)
        browser.close()
    return written


#: the worklist picture's patients: benign, active, natalizumab, overdue, symptoms
WORKLIST_SCENARIOS = (
    "benign-strict",
    "activity-relapse",
    "activity-mri-new-t2",
    "natalizumab-jcv-positive",
    "natalizumab-jcv-unknown",
    "overdue-follow-up",
    "symptom-fatigue",
)


@contextmanager
def _sandbox_and_app(fhir_base: str) -> Iterator[tuple[str, str]]:
    """The SMART sandbox in front of ``fhir_base`` and the app registered with it (loopback)."""
    from flask import Flask
    from werkzeug.serving import make_server

    from launch.sandbox import create_sandbox_app
    from smart_app import create_app
    from smart_app.settings import Settings

    app_server = make_server("127.0.0.1", 0, Flask("placeholder"), threaded=True)
    sandbox_server = make_server("127.0.0.1", 0, Flask("placeholder"), threaded=True)
    app_base = f"http://127.0.0.1:{app_server.server_port}"
    sandbox = f"http://127.0.0.1:{sandbox_server.server_port}"
    sandbox_server.app = create_sandbox_app(fhir_base, f"{app_base}/launch", public_base=sandbox)
    with tempfile.TemporaryDirectory() as config_dir:
        issuers = Path(config_dir) / "issuers.json"
        registration = {
            "iss": f"{sandbox}/fhir",
            "client_id": "ms-monitor-public",
            "auth_method": "none",
            "redirect_uri": f"{app_base}/callback",
            "standalone": True,
        }
        issuers.write_text(json.dumps([registration]))
        settings = Settings(
            issuers_file=issuers, cookie_secure=False, secret_key=secrets.token_hex(16)
        )
        app_server.app = create_app(settings)
        for server in (app_server, sandbox_server):
            threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield sandbox, app_base
        finally:
            for server in (app_server, sandbox_server):
                server.shutdown()
                server.server_close()


def worklist_screenshot(fhir_base: str) -> list[Path]:
    """Write the scenario patients' plans from their dashboards, then picture the worklist."""
    from playwright.sync_api import sync_playwright

    from smart_app.fhir import FhirClient
    from smart_app.synthetic import cohort, transaction_bundle

    patients = [p for p in cohort(as_of=date.today()) if p.scenario in WORKLIST_SCENARIOS]
    FhirClient(fhir_base).transaction(transaction_bundle(patients))
    output = ROOT / "docs" / "worklist.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 700})
        with _app_against(fhir_base) as app:
            for patient in patients:
                query = urlencode({"iss": fhir_base, "patient": patient.patient_id})
                page.goto(f"{app}/launch?{query}")
                page.locator("#summary").wait_for(timeout=60_000)
                if page.locator("#write-button").count():
                    page.locator("#write-button").click()
                    page.locator("#write-result").wait_for(timeout=60_000)
        with _sandbox_and_app(fhir_base) as (sandbox, app):
            page.goto(f"{sandbox}/ehr")
            page.locator("#worklist-link a").click()
            page.locator("#worklist-table").wait_for(timeout=60_000)
            page.screenshot(path=str(output), full_page=True)
        browser.close()
    return [output]


def main() -> None:
    from playwright.sync_api import sync_playwright

    for flag, screenshots in (
        ("--worklist", worklist_screenshot),
        ("--dashboards", dashboard_screenshots),
    ):
        if flag in sys.argv:
            rest = sys.argv[sys.argv.index(flag) + 1 :]
            if rest:
                written = screenshots(rest[0].rstrip("/"))
            else:
                with fhir_server() as fhir_base:
                    written = screenshots(fhir_base)
            for path in written:
                print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
            return
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1000, "height": 800}, device_scale_factor=2)
        page.set_content(chart_page(fifteen_year_history()))
        OUTPUT.parent.mkdir(exist_ok=True)
        page.locator("section.panel").screenshot(path=str(OUTPUT))
        browser.close()
    print(f"wrote {OUTPUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
