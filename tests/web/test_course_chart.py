"""What the disease-course chart shows (issue 12, item 3): every mark, its text alternative, and
the adapter from the patient timeline."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from smart_app.domain import RuleSettings
from smart_app.domain.timeline import (
    DmtExposure,
    EdssMeasurement,
    MriFinding,
    MriStudy,
    PatientTimeline,
    Relapse,
)
from smart_app.service.context import rules_context
from smart_app.web.course_chart import (
    course_chart_svg,
    course_figure_html,
)
from smart_app.web.course_data import (
    CourseInput,
    DmtRun,
    EdssMark,
    RelapseMark,
    ScanMark,
    course_description,
    course_table,
    relapse_when,
)
from smart_app.web.view import course_input
from tests.web.course_svg import SVG, by_class, labels, parse

AS_OF = date(2026, 11, 24)
DATA = CourseInput(
    as_of=AS_OF,
    edss=(
        EdssMark(date(2019, 3, 1), 1.5, True, "Observation/e1"),
        EdssMark(date(2025, 12, 20), 3.0, False, "Observation/e2"),
        EdssMark(date(2026, 9, 1), 2.0, True, "Observation/e3"),
    ),
    relapses=(
        RelapseMark(date(2025, 12, 1), date(2025, 12, 1), "Condition/r1"),
        RelapseMark(date(2021, 10, 1), date(2021, 10, 31), "Condition/r2"),
    ),
    scans=(
        ScanMark(date(2022, 6, 24), "brain", 0.0, 0.0, ("ImagingStudy/m1",)),
        ScanMark(date(2026, 1, 10), "brain", 3.0, 1.0, ("ImagingStudy/m2", "Observation/t2")),
        ScanMark(date(2026, 1, 10), "spine", None, None, ("ImagingStudy/m3",)),
    ),
    dmt_runs=(
        DmtRun("interferon beta-1a", date(2019, 5, 1), date(2021, 1, 1), False, ("MS/1",)),
        DmtRun("natalizumab", date(2022, 2, 1), AS_OF, True, ("MS/2",)),
        DmtRun("interferon beta-1a", date(2021, 6, 1), date(2021, 12, 1), False, ("MS/3",)),
    ),
    window_start=date(2025, 11, 24),
    threshold=3.0,
    unstable_days=30,
)


def texts(svg: str) -> list[str]:
    return [label.text for label in labels(parse(svg))]


def test_threshold_line_and_label_come_from_the_input() -> None:
    root = parse(course_chart_svg(replace(DATA, threshold=3.5)))
    (line,) = by_class(root, "line", "threshold")
    assert line.get("data-value") == "3.5"
    grid = {t.text: float(t.get("y", "0")) - 4 for t in by_class(root, "text", "tick")}
    expected = grid["2"] + 0.75 * (grid["4"] - grid["2"])  # 3.5: three quarters from 2 to 4
    assert abs(float(line.get("y1", "0")) - expected) < 0.2
    assert "EDSS 3.5" in texts(course_chart_svg(replace(DATA, threshold=3.5)))
    assert "EDSS 3.0" not in texts(course_chart_svg(replace(DATA, threshold=3.5)))
    assert "EDSS 3.5: the benign limit" in course_figure_html(replace(DATA, threshold=3.5))


def test_unstable_points_are_hollow_and_the_legend_says_why() -> None:
    root = parse(course_chart_svg(DATA))
    unstable = by_class(root, "circle", "unstable")
    assert [c.get("data-date") for c in unstable] == ["2025-12-20"]
    title = unstable[0].find(f"{SVG}title")
    assert title is not None
    assert title.text == "EDSS 3.0 on 2025-12-20 (within 30 days of a relapse onset)"
    figure = course_figure_html(replace(DATA, unstable_days=45))
    assert "EDSS within 45 days of a relapse onset (hollow)" in figure


def test_relapses_are_labelled_with_their_onset_as_precise_as_known() -> None:
    shown = texts(course_chart_svg(DATA))
    assert "Relapse 2025-12-01" in shown
    assert "Relapse 2021-10" in shown  # a month-precision onset
    assert relapse_when(RelapseMark(date(2019, 1, 1), date(2019, 12, 31))) == "2019"
    assert relapse_when(RelapseMark(date(2020, 10, 1), date(2021, 10, 31))) == (
        "2020-10-01 to 2021-10-31"
    )
    assert relapse_when(RelapseMark(date(2020, 10, 3), date(2020, 10, 31))) == (
        "2020-10-03 to 2020-10-31"
    )


def test_lesion_counts_sit_under_their_scan() -> None:
    root = parse(course_chart_svg(DATA))
    axis_bottom = max(float(g.get("y1", "0")) for g in by_class(root, "line", "grid"))
    scans = by_class(root, "g", "scan")
    assert [(g.get("data-date"), g.get("data-new-t2"), g.get("data-gd")) for g in scans] == [
        ("2022-06-24", "0", "0"),
        ("2026-01-10", "3", "1"),
        ("2026-01-10", "", ""),
    ]
    for group in scans:
        mark = group.find(f"{SVG}path")
        assert mark is not None
        x = float((mark.get("d") or "M0,").split(",")[0][1:])
        for label in labels(group):
            assert label.box.top > axis_bottom, "counts are under the time axis"
            assert label.box.left <= x <= label.box.right, "and under their own scan"
    shown = texts(course_chart_svg(DATA))
    assert "T2 3 · Gd+ 1" in shown
    assert "Spine 2026-01-10" in shown
    assert "T2 ? · Gd+ ?" in shown  # counts not reported are not shown as zero


def test_one_lane_per_drug_and_one_bar_per_run() -> None:
    root = parse(course_chart_svg(DATA))
    lanes = by_class(root, "g", "dmt-lane")
    assert [g.get("data-drug") for g in lanes] == ["interferon beta-1a", "natalizumab"]
    bars = [by_class(g, "rect", "dmt-bar") for g in lanes]
    assert [len(b) for b in bars] == [2, 1]
    assert {b.get("y") for b in bars[0]} != {b.get("y") for b in bars[1]}
    assert "current" in (bars[1][0].get("class") or "")


def test_the_lookback_window_is_shaded_from_its_start_to_the_as_of_date() -> None:
    root = parse(course_chart_svg(DATA))
    (window,) = by_class(root, "rect", "window")
    assert (window.get("data-start"), window.get("data-end")) == ("2025-11-24", "2026-11-24")
    left = float(window.get("x", "0"))
    right = left + float(window.get("width", "0"))
    inside = {
        c.get("data-date")
        for c in by_class(root, "circle", "edss-point")
        if left <= float(c.get("cx", "0")) <= right
    }
    assert inside == {"2025-12-20", "2026-09-01"}


def test_text_alternative_and_data_table_carry_every_fact() -> None:
    desc = course_description(DATA)
    assert "Benign threshold EDSS 3.0." in desc
    assert "2 relapses, latest 2025-12-01." in desc
    assert "3 MRI scans, latest 2026-01-10" in desc
    assert "natalizumab 2022-02-01 to now" in desc
    assert "lookback window 2025-11-24 to 2026-11-24" in desc
    rows = course_table(DATA)
    assert [r.date for r in rows] == sorted(r.date for r in rows)
    assert len(rows) == 3 + 2 + 3 + 3
    scan = next(r for r in rows if r.event == "Brain MRI" and r.date == date(2026, 1, 10))
    assert scan.detail == "3 new T2, 1 Gd+"
    assert scan.refs == ("ImagingStudy/m2", "Observation/t2")
    unstable = next(r for r in rows if r.date == date(2025, 12, 20))
    assert unstable.detail == "3.0 (within 30 days of a relapse onset)"


def test_names_from_the_record_are_escaped() -> None:
    hostile = replace(
        DATA, dmt_runs=(DmtRun('<script>alert(1)</script>"', date(2020, 1, 1), AS_OF, True),)
    )
    svg = course_chart_svg(hostile)
    assert "<script>" not in svg
    assert "<script>" not in course_figure_html(hostile)
    assert '<script>alert(1)</script>"' in texts(svg)


def test_adapter_joins_counts_to_their_scan_and_takes_the_settings() -> None:
    rules = RuleSettings(benign_edss_max=3.5, activity_lookback_months=24)
    timeline = PatientTimeline(
        patient="Patient/p1",
        context=rules_context(AS_OF, rules),
        diagnosis=None,
        edss=(EdssMeasurement(date(2026, 2, 1), 2.5, "Observation/e", False),),
        relapses=(Relapse(date(2026, 1, 1), date(2026, 1, 31), "Condition/r"),),
        brain_mris=(MriStudy(date(2026, 3, 1), "brain", "ImagingStudy/b"),),
        spinal_mris=(MriStudy(date(2026, 3, 1), "spine", "ImagingStudy/s"),),
        mri_findings=(
            MriFinding(date(2026, 3, 1), "new-t2-lesions", 2.0, "Observation/t2"),
            MriFinding(date(2026, 3, 1), "gd-lesions", 1.0, "Observation/gd"),
            MriFinding(date(2024, 5, 5), "gd-lesions", 0.0, "Observation/old"),
        ),
        dmt_exposures=(
            DmtExposure("natalizumab", "354770", False, date(2025, 1, 1), AS_OF, True, ("MS/n",)),
        ),
        jcv_results=(),
        mfis=(),
        sdmt=(),
        data_issues=(),
    )
    data = course_input(timeline)
    assert data.threshold == 3.5
    assert data.window_start == date(2024, 11, 24)
    assert data.unstable_days == rules.stable_edss_days_after_relapse
    assert data.scans == (
        ScanMark(date(2024, 5, 5), "", None, 0.0, ("Observation/old",)),
        ScanMark(
            date(2026, 3, 1),
            "brain",
            2.0,
            1.0,
            ("ImagingStudy/b", "Observation/t2", "Observation/gd"),
        ),
        ScanMark(date(2026, 3, 1), "spine", None, None, ("ImagingStudy/s",)),
    )
    assert data.relapses == (RelapseMark(date(2026, 1, 1), date(2026, 1, 31), "Condition/r"),)
    assert data.dmt_runs == (DmtRun("natalizumab", date(2025, 1, 1), AS_OF, True, ("MS/n",)),)
    assert data.edss == (EdssMark(date(2026, 2, 1), 2.5, False, "Observation/e"),)
