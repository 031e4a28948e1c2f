"""A deterministic synthetic MS cohort that exercises every rule of docs/clinical-rules.md.

Pure: no I/O, no clock. ``as_of`` and ``seed`` are parameters and every date is relative to
``as_of``, so the scenario expectations hold whatever day the cohort is generated.
Synthetic data only.
"""

from __future__ import annotations

import random
import re
from datetime import date

from smart_app.synthetic.bundles import collection_bundle, transaction_bundle
from smart_app.synthetic.chart import Chart
from smart_app.synthetic.expectations import ALL_CODES
from smart_app.synthetic.model import Expected, RecommendationCheck, Resource, SyntheticPatient
from smart_app.synthetic.random_cohort import random_patient
from smart_app.synthetic.scenarios import SCENARIO_DESCRIPTIONS, SCENARIO_NAMES, SCENARIOS

DEFAULT_SEED = 20261124
RANDOM_SCENARIO = "random"
RANDOM_DESCRIPTION = "Seeded random patient (no scenario: whatever the rules make of it)."

__all__ = [
    "ALL_CODES",
    "DEFAULT_SEED",
    "RANDOM_DESCRIPTION",
    "RANDOM_SCENARIO",
    "SCENARIO_DESCRIPTIONS",
    "SCENARIO_NAMES",
    "Expected",
    "RecommendationCheck",
    "Resource",
    "SyntheticPatient",
    "cohort",
    "collection_bundle",
    "patient_id",
    "scenario_description",
    "transaction_bundle",
]


def patient_id(index: int) -> str:
    """The id of the ``index``-th (0-based) cohort patient: ``msm-001``... never purely numeric,
    because HAPI refuses client-assigned numeric ids."""
    return f"msm-{index + 1:03d}"


def scenario_description(patient: str) -> str | None:
    """What a cohort patient id (``msm-003``) stands for, in one line, for the sandbox's patient
    pickers: its scenario's description, "seeded random patient" past the scenarios, None for an
    id that is not the cohort's. The inverse of :func:`patient_id`."""
    match = re.fullmatch(r"msm-(\d{3,})", patient)
    if match is None or int(match.group(1)) < 1:
        return None
    index = int(match.group(1)) - 1
    if index < len(SCENARIOS):
        return SCENARIO_DESCRIPTIONS[SCENARIOS[index][0]]
    return RANDOM_DESCRIPTION


def cohort(
    *, as_of: date, patients: int | None = None, seed: int = DEFAULT_SEED
) -> list[SyntheticPatient]:
    """The scenario patients (all of them, or the first ``patients``), then seeded random ones.

    The same arguments always give the same resources, byte for byte once serialised.
    """
    count = len(SCENARIOS) if patients is None else patients
    if count < 0:
        raise ValueError("patients must be >= 0")
    result: list[SyntheticPatient] = []
    for index, (name, build) in enumerate(SCENARIOS[:count]):
        chart = Chart(patient_id(index), as_of)
        expected = build(chart)
        result.append(
            SyntheticPatient(
                chart.patient_id,
                name,
                chart.resources,
                expected,
                chart.offline_only,
                SCENARIO_DESCRIPTIONS[name],
            )
        )
    for index in range(len(result), count):
        chart = Chart(patient_id(index), as_of)
        rng = random.Random(seed * 1_000_003 + index)  # noqa: S311 - synthetic data, not crypto
        random_patient(chart, rng)
        result.append(
            SyntheticPatient(
                chart.patient_id, RANDOM_SCENARIO, chart.resources, None, [], RANDOM_DESCRIPTION
            )
        )
    return result
