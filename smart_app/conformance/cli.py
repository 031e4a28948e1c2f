"""``ms-monitor profiles``: load the profiles, terminology and protocol into a FHIR server,
or print them as a transaction Bundle for an EHR's own loader."""

from __future__ import annotations

import json
import sys

import click

from smart_app.errors import FhirError


@click.command("profiles")
@click.option("--fhir-base", default=None, help="FHIR base URL to PUT the conformance resources.")
@click.option(
    "--print-bundle", is_flag=True, help="Print the transaction Bundle instead of loading it."
)
def profiles(fhir_base: str | None, print_bundle: bool) -> None:
    """Load fhir_profiles/ (StructureDefinitions, CodeSystems, ValueSets, PlanDefinition)."""
    from smart_app.conformance.bundle import conformance_bundle, load_conformance

    if print_bundle:
        click.echo(json.dumps(conformance_bundle(), indent=2, ensure_ascii=False))
        return
    if not fhir_base:
        raise click.UsageError("give --fhir-base URL or --print-bundle")
    from smart_app.fhir import FhirClient
    from smart_app.settings import Settings

    settings = Settings()
    client = FhirClient(
        fhir_base, timeout_seconds=settings.http_timeout_seconds, retries=settings.http_retries
    )
    try:
        loaded = load_conformance(client)
    except FhirError as exc:
        click.echo(f"ms-monitor: error: loading profiles into {fhir_base} failed: {exc}", err=True)
        sys.exit(1)
    click.echo(f"loaded {len(loaded)} conformance resources into {fhir_base}")
