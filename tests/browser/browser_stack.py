"""What the browser tests get from the ``stack`` fixture."""

from __future__ import annotations

from dataclasses import dataclass

from smart_app.synthetic import SyntheticPatient


@dataclass(frozen=True)
class Stack:
    fhir_base: str
    sandbox: str
    app: str
    patients: dict[str, SyntheticPatient]  # scenario -> patient (with this run's unique ids)
    family: str  # the patients' family name, to find them in the pickers

    @property
    def sandbox_fhir(self) -> str:
        return f"{self.sandbox}/fhir"
