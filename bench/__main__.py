"""``python -m bench``: run every benchmark and print one table each."""

from __future__ import annotations

from bench import cds, ehr_epic, engine, extraction, launch, population, worklist
from bench.fhir_server import fhir_server
from bench.table import print_table


def main() -> None:
    print_table("Engine (one core)", engine.run())
    print_table("Extraction + rules: FHIR resources to report (one core)", extraction.run())
    print_table("CDS Hooks patient-view with prefetch", cds.run())
    with fhir_server() as fhir_base:
        print_table("SMART launch (app over HAPI)", launch.run(fhir_base))
        print_table(
            f"Population run against HAPI (concurrency {population.CONCURRENCY})",
            population.run(fhir_base, population.sizes_from_env()),
        )
        print_table(
            f"Epic-like server (sandbox --ehr epic, +{ehr_epic.LATENCY_SECONDS * 1000:.0f} ms "
            "per request)",
            ehr_epic.run(fhir_base),
        )
        print_table("Clinic worklist over HAPI (plans added in steps)", worklist.run(fhir_base))


if __name__ == "__main__":
    main()
