"""Group a Bulk Data export by patient on disk, so memory does not grow with the population.

NDJSON files come one resource type at a time (all Patients, then all Conditions...); the engine
wants one patient's resources together. A small SQLite file keyed by patient does the regrouping.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from smart_app.domain import Terminology
from smart_app.domain.references import patient_of

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resource (patient TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS resource_patient ON resource (patient);
CREATE TABLE IF NOT EXISTS ms_patient (patient TEXT PRIMARY KEY);
"""


class PatientResourceStore:
    """An on-disk SQLite store: add resources in any order, read them back per patient."""

    def __init__(self, path: Path, terminology: Terminology) -> None:
        self._db = sqlite3.connect(path)
        self._db.executescript(_SCHEMA)
        self._ms_codes = terminology.ms_diagnosis

    def add_all(self, resources: Iterable[dict[str, Any]]) -> int:
        added = 0
        with self._db:
            for resource in resources:
                patient = patient_of(resource)
                if patient is None:
                    continue
                self._db.execute(
                    "INSERT INTO resource (patient, body) VALUES (?, ?)",
                    (patient, json.dumps(resource, separators=(",", ":"))),
                )
                if resource.get("resourceType") == "Condition" and self._is_ms(resource):
                    self._db.execute(
                        "INSERT OR IGNORE INTO ms_patient (patient) VALUES (?)", (patient,)
                    )
                added += 1
        return added

    def ms_patient_count(self) -> int:
        row = self._db.execute("SELECT count(*) FROM ms_patient").fetchone()
        return int(row[0])

    def ms_patients(self) -> Iterator[str]:
        """Patients with an MS diagnosis, in id order (a cursor: not all loaded at once)."""
        cursor = self._db.execute("SELECT patient FROM ms_patient ORDER BY patient")
        for (patient,) in cursor:
            yield str(patient)

    def resources(self, patient: str) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT body FROM resource WHERE patient = ?", (patient,))
        return [json.loads(body) for (body,) in rows]

    def close(self) -> None:
        self._db.close()

    def _is_ms(self, condition: dict[str, Any]) -> bool:
        code = condition.get("code")
        codings = code.get("coding") if isinstance(code, dict) else None
        return any(
            isinstance(c, dict) and (c.get("system"), c.get("code")) in self._ms_codes
            for c in codings or []
        )
