"""Seeded random, realistic MS patients that fill a cohort beyond the scenario patients.

Each patient draws from its own ``random.Random`` seeded by (seed, index), so patient 500 is the
same whether the cohort holds 600 or 2,000 patients. Shapes follow the natural-history literature
loosely: mostly relapsing-onset, female:male about 3:1, slow EDSS drift with occasional jumps,
yearly MRIs. There is no ``expected``: these patients exist for load, UI and population runs.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from smart_app.synthetic import codes
from smart_app.synthetic.chart import Chart, Code, add_unknown_extension

_DIAGNOSES: tuple[Code, ...] = (
    codes.RRMS_SNOMED,
    codes.RRMS_SNOMED,
    codes.RRMS_SNOMED,
    codes.MS_SNOMED,
    codes.SPMS_SNOMED,
    codes.PPMS_SNOMED,
    codes.MS_ICD10,
    codes.RRMS_ICD10,
)
_DMTS = (
    "interferon beta-1a",
    "interferon beta-1b",
    "peginterferon beta-1a",
    "glatiramer",
    "glatiramer",
    "natalizumab",
    "ocrelizumab",
    "ofatumumab",
    "fingolimod",
    "dimethyl fumarate",
    "teriflunomide",
    "cladribine",
    "ozanimod",
    "diroximel fumarate",
)
_EDSS_STEPS = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, -0.5, 1.0)


def random_patient(c: Chart, rng: random.Random) -> None:
    """Fill ``c`` with one plausible MS history drawn from ``rng``."""
    age = rng.randint(24, 76)
    c.patient(
        birth_date=c.ago(years=age, days=rng.randint(0, 364)),
        gender=rng.choice(("female", "female", "female", "male")),
    )
    duration_days = rng.randint(200, 365 * min(35, age - 18))
    _diagnosis(c, rng, duration_days)
    relapses = [
        _days_ago(c, rng.randint(20, duration_days))
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3)))
    ]
    for onset in relapses:
        c.relapse(onset)
    _edss_visits(c, rng, duration_days)
    _mri_history(c, rng, duration_days)
    on_natalizumab = _dmt_history(c, rng, duration_days)
    if on_natalizumab and rng.random() < 0.8:
        c.jcv(_days_ago(c, rng.randint(15, 400)), positive=rng.random() < 0.55)
    if rng.random() < 0.7:
        c.mfis(_days_ago(c, rng.randint(10, 700)), rng.randint(5, 70))
    for _ in range(rng.choice((0, 1, 2, 2))):
        c.sdmt(_days_ago(c, rng.randint(10, 900)), rng.randint(25, 70))
    _noise(c, rng)


def _days_ago(c: Chart, days: int) -> date:
    return c.as_of - timedelta(days=days)


def _diagnosis(c: Chart, rng: random.Random, duration_days: int) -> None:
    onset = _days_ago(c, duration_days)
    recorded = onset + timedelta(days=rng.randint(30, 700))
    recorded = min(recorded, c.as_of)
    style = rng.random()
    code = rng.choice(_DIAGNOSES)
    if style < 0.9:
        c.ms_diagnosis(onset, code=code, recorded=recorded)
    elif style < 0.95:
        c.ms_diagnosis(None, code=code, recorded=recorded)
    else:
        c.ms_diagnosis(None, code=code, recorded=recorded, onsetPeriod={"start": onset.isoformat()})


def _edss_visits(c: Chart, rng: random.Random, duration_days: int) -> None:
    if rng.random() < 0.05:
        return
    level = rng.choice((0.0, 1.0, 1.0, 1.5, 1.5, 2.0, 2.0, 2.5, 3.0, 3.5, 4.0, 6.0))
    day = min(duration_days, rng.randint(365, 8 * 365))
    while day > 0:
        c.edss(_days_ago(c, day), level)
        level = min(9.5, max(0.0, level + rng.choice(_EDSS_STEPS)))
        day -= rng.randint(150, 420)


def _mri_history(c: Chart, rng: random.Random, duration_days: int) -> None:
    day = rng.randint(20, 800)
    for _ in range(rng.randint(0, 5)):
        if day > duration_days:
            break
        active = rng.random() < 0.15
        c.brain_mri(
            _days_ago(c, day),
            new_t2=rng.randint(1, 3) if active else 0,
            gd=rng.randint(0, 2) if active else None,
        )
        day += rng.randint(300, 500)
    if rng.random() < 0.15:
        c.spine_mri(_days_ago(c, rng.randint(20, 900)))


def _dmt_history(c: Chart, rng: random.Random, duration_days: int) -> bool:
    """Zero to two DMT episodes, the last possibly current; True when on natalizumab now."""
    if rng.random() < 0.45 or duration_days < 120:
        return False
    start = rng.randint(90, duration_days)
    current = ""
    for episode in range(rng.choice((1, 1, 2))):
        drug = rng.choice(_DMTS)
        last = episode == 1 or rng.random() < 0.7
        end = None if last else max(1, start - rng.randint(60, max(61, start - 1)))
        status = "active" if end is None else "stopped"
        if rng.random() < 0.5:
            c.dmt_request(drug, _days_ago(c, start), status=status)
        else:
            c.dmt_statement(
                drug,
                _days_ago(c, start),
                status=status,
                end=None if end is None else _days_ago(c, end),
            )
        if end is None:
            current = drug
            break
        start = max(1, end - 30)
    return current == "natalizumab"


def _noise(c: Chart, rng: random.Random) -> None:
    """Real-world mess in about one patient in five (all of it loadable by a FHIR server)."""
    roll = rng.random()
    if roll < 0.05:
        add_unknown_extension(c.resources[-1], "legacy")
    elif roll < 0.09:
        c.duplicate(c.resources[-1])
    elif roll < 0.12:
        c.edss(c.ahead(days=rng.randint(5, 60)), 2.0)
    elif roll < 0.15:
        c.edss(_days_ago(c, rng.randint(5, 300)), rng.choice((2.3, 11.0, 12.0)))
    elif roll < 0.18:
        c.edss(_days_ago(c, rng.randint(5, 300)), 2.0, unit="cm")
    elif roll < 0.20:
        c.edss(_days_ago(c, rng.randint(5, 300)), 7.0, status="entered-in-error")
