"""Property tests: random, truncated or garbage input never raises in the engine or the planner;
the order of a record and duplicated entries never change the report."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from smart_app.domain import EvaluationContext, evaluate_patient, plan_transaction
from smart_app.synthetic import SCENARIO_NAMES, SyntheticPatient, cohort
from tests.domain.domain_builders import D, benign_base, dmt, jcv, lesions, relapse, sdmt

KEYS = [
    "resourceType",
    "id",
    "status",
    "code",
    "coding",
    "system",
    "subject",
    "valueQuantity",
    "value",
    "effectiveDateTime",
    "onsetDateTime",
    "modality",
    "series",
    "procedureCode",
    "medicationCodeableConcept",
    "authoredOn",
    "effectivePeriod",
    "valueCodeableConcept",
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.sampled_from(["2026-01-01", "2026", "2026-13", "final", "available", "active", "MR"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10) | st.sampled_from(KEYS), children, max_size=5)
    ),
    max_leaves=20,
)
TEMPLATES: list[dict[str, Any]] = [
    *benign_base(),
    relapse("2026-05-01"),
    dmt("natalizumab", "2020-01-01"),
    jcv("2026-01-01", True),
    lesions("2026-02-01", "gd-lesions", 2),
    sdmt("2025-01-01", 40, "s0"),
]


def _mutate(template: dict[str, Any], key: str, value: Any, drop: bool) -> dict[str, Any]:
    res = dict(template)
    if drop:
        res.pop(key, None)
    else:
        res[key] = value
    return res


mutated = st.builds(
    _mutate, st.sampled_from(TEMPLATES), st.sampled_from(KEYS), json_values, st.booleans()
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(mutated | json_values, max_size=12),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)),
)
def test_engine_never_raises(resources: list[Any], as_of: date) -> None:
    report = evaluate_patient([*TEMPLATES[:2], *resources], EvaluationContext(as_of))
    out = report.to_json()
    assert out["classification"]["status"] in {
        "not-applicable",
        "indeterminate",
        "not-benign",
        "too-early",
        "benign",
    }
    plan_transaction(report, resources)


@settings(max_examples=200, deadline=None)
@given(st.lists(mutated | json_values, max_size=8))
def test_planner_never_raises_on_garbage_existing(existing: list[Any]) -> None:
    report = evaluate_patient(TEMPLATES, EvaluationContext(D))
    tasks = [
        {
            "resourceType": "Task",
            "id": "t1",
            "status": "requested",
            "identifier": [
                {
                    "system": "http://example.org/fhir/ms-monitor/task-id",
                    "value": "p1.mri-brain.2020-01-01",
                }
            ],
            **extra,
        }
        for extra in existing
        if isinstance(extra, dict)
    ]
    plan_transaction(report, [*existing, *tasks])


_RECORDS = cohort(as_of=D, patients=len(SCENARIO_NAMES) + 60)


@settings(max_examples=250, deadline=None)
@given(
    st.sampled_from(_RECORDS),
    st.randoms(use_true_random=False),
    st.lists(st.integers(min_value=0, max_value=10_000), max_size=6),
)
def test_order_and_duplicates_never_change_the_report(
    record: SyntheticPatient, rng: random.Random, duplicated: list[int]
) -> None:
    """Any record, shuffled or with entries sent twice, gives the same report (contract v2)."""
    resources = [*record.resources, *record.offline_only]
    expected = evaluate_patient(resources, EvaluationContext(D)).to_json()
    shuffled = list(resources)
    shuffled.extend(resources[i % len(resources)] for i in duplicated)
    rng.shuffle(shuffled)
    assert evaluate_patient(shuffled, EvaluationContext(D)).to_json() == expected
