"""Load the synthetic MS cohort into a FHIR server, a few patients per transaction.

Entries are ``PUT Type/id`` with the cohort's fixed ids, so seeding twice creates nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from smart_app.fhir import FhirClient
from smart_app.synthetic import cohort, transaction_bundle

#: Patients per transaction: small enough for a server's request-size limits, big enough to be fast.
PATIENTS_PER_TRANSACTION = 20


@dataclass(frozen=True, slots=True)
class SeedResult:
    patients: int
    resources: int


def seed_cohort(client: FhirClient, *, as_of: date, patients: int | None = None) -> SeedResult:
    """Write the cohort (all scenario patients, or ``patients`` of them) to ``client``'s server."""
    members = cohort(as_of=as_of, patients=patients)
    written = 0
    for start in range(0, len(members), PATIENTS_PER_TRANSACTION):
        bundle = transaction_bundle(members[start : start + PATIENTS_PER_TRANSACTION])
        client.transaction(bundle)
        written += len(bundle["entry"])
    return SeedResult(patients=len(members), resources=written)
