"""The ``ms-monitor`` command line (click). Errors are one clear line and a non-zero exit.

Exit codes: 0 success, 1 a FHIR server or run failed, 2 bad input or usage.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from smart_app.cli_common import EXIT_BAD_INPUT, EXIT_FAILED, fail, iso_date
from smart_app.errors import FhirError, InputError
from smart_app.settings import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """ms-monitor: benign-MS monitoring on FHIR."""


@main.command()
@click.argument("bundles", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--as-of", callback=iso_date, help="Evaluate as of this date (default today).")
@click.option(
    "--careplan", is_flag=True, help="Print the transaction Bundle it would write instead."
)
@click.option(
    "--site-codes",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help='A JSON object of the site\'s own codes: {"edss": ["system|code", ...], ...}.',
)
def evaluate(
    bundles: tuple[Path, ...], as_of: date | None, careplan: bool, site_codes: Path | None
) -> None:
    """Evaluate the patients in FHIR Bundle files and print the report JSON."""
    from smart_app.inputs import load_site_codes
    from smart_app.service.context import evaluation_context
    from smart_app.service.offline import evaluate_files

    try:
        codes = load_site_codes(site_codes) if site_codes is not None else None
        try:
            context = evaluation_context(Settings(), as_of=as_of, site_codes=codes)
        except ValueError as exc:
            raise InputError(f"{site_codes}: {exc}") from exc
        outputs = evaluate_files(bundles, careplan=careplan, context=context)
    except InputError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    document: Any = outputs[0] if len(outputs) == 1 else outputs
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


@main.command()
@click.option("--fhir-base", required=True, help="FHIR base URL to load the cohort into.")
@click.option("--patients", type=click.IntRange(min=1), default=None, help="How many patients.")
@click.option("--as-of", callback=iso_date, help="Dates are relative to this (today).")
def seed(fhir_base: str, patients: int | None, as_of: date | None) -> None:
    """Load the synthetic MS cohort (PUTs with fixed ids: loading twice changes nothing)."""
    from smart_app.fhir import FhirClient
    from smart_app.seeding import seed_cohort

    settings = Settings()
    client = FhirClient(
        fhir_base, timeout_seconds=settings.http_timeout_seconds, retries=settings.http_retries
    )
    try:
        loaded = seed_cohort(client, as_of=as_of or date.today(), patients=patients)
    except FhirError as exc:
        fail(f"seeding {fhir_base} failed: {exc}", EXIT_FAILED)
    click.echo(f"loaded {loaded.patients} patients ({loaded.resources} resources) into {fhir_base}")


from smart_app.conformance.cli import profiles  # noqa: E402 - command of fhir_profiles/

main.add_command(profiles)

from smart_app.web.serve import serve  # noqa: E402 - web app command

main.add_command(serve)

from smart_app.jobs.commands import register_commands  # noqa: E402 - run, subscribe, worker, jobs, keys

register_commands(main)

try:  # launch/ (the SMART EHR sandbox, the demo) is development tooling outside the wheel:
    # these two commands exist when ms-monitor runs from a checkout
    from launch.demo.cli import demo
    from launch.sandbox.cli import sandbox
except ModuleNotFoundError:
    pass
else:
    main.add_command(sandbox)
    main.add_command(demo)
