"""CLI commands for unattended work: ``run``, ``subscribe``, ``worker``, ``jobs``, ``keys``.

Registered on the main group by :func:`register_commands`. Exit codes follow smart_app.cli:
0 success, 1 a FHIR server or run failed, 2 bad input or configuration (also ``run --all`` or
``--group`` on a server that cannot list that population: the message names what it offers).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

import click

from smart_app.cli_common import EXIT_BAD_INPUT, EXIT_FAILED, fail, iso_date
from smart_app.errors import ConfigurationError, FhirError, InputError, MsMonitorError
from smart_app.settings import Settings


def _print_table(rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    click.echo("-" * (width + 14), err=True)
    for name, value in rows:
        click.echo(
            f"{name:<{width}}  {value:>10}" if not name.startswith("  ") else f"{name}  {value}"
        )


@click.command("run")
@click.option("--fhir-base", required=True, help="FHIR base URL.")
@click.option("--patient", "patients", multiple=True, help="A patient id (repeatable).")
@click.option("--group", "group_id", help="Evaluate the members of this Group.")
@click.option("--all", "everyone", is_flag=True, help="Every patient with an MS diagnosis.")
@click.option("--auth", type=click.Choice(["none", "backend"]), default="none", show_default=True)
@click.option("--dry-run", is_flag=True, help="Evaluate and count, write nothing.")
@click.option("--as-of", callback=iso_date, help="Evaluate as of this date (default today).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option("--bulk", is_flag=True, help="Read the population with a Bulk Data $export.")
def run_command(
    fhir_base: str,
    patients: tuple[str, ...],
    group_id: str | None,
    everyone: bool,
    auth: str,
    dry_run: bool,
    as_of: date | None,
    concurrency: int,
    bulk: bool,
) -> None:
    """Evaluate a population and bring each patient's CarePlan and Tasks up to date."""
    from smart_app.jobs.population_run import run_bulk, run_searched
    from smart_app.service.connection import plan_store_client, unattended_client
    from smart_app.service.plan_delivery import unattended_home
    from smart_app.service.server_reads import site_context, site_for

    if sum((bool(patients), bool(group_id), everyone)) != 1:
        fail("give exactly one of --patient, --group or --all", EXIT_BAD_INPUT)
    if bulk and patients:
        fail("--bulk works with --group or --all", EXIT_BAD_INPUT)
    settings = Settings()
    try:
        client = unattended_client(fhir_base, auth=auth, settings=settings)
        site = site_for(settings, fhir_base)  # the issuer registration of this FHIR base
        context = site_context(settings, site, as_of=as_of)
        if bulk:
            with tempfile.TemporaryDirectory(prefix="ms-monitor-bulk-") as work_dir:
                summary = run_bulk(
                    client,
                    group_id=group_id,
                    context=context,
                    dry_run=dry_run,
                    concurrency=concurrency,
                    work_dir=Path(work_dir),
                    site=site,
                )
        else:
            home = unattended_home(client, plan_store_client(settings), site=site)
            for line in home.targets.describe():
                click.echo(line, err=True)
            summary = run_searched(
                client,
                patients=patients,
                group_id=group_id,
                context=context,
                dry_run=dry_run,
                concurrency=concurrency,
                home=home,
            )
    except (ConfigurationError, InputError) as exc:
        # InputError: this server cannot list the population asked for (nothing written)
        fail(str(exc), EXIT_BAD_INPUT)
    except MsMonitorError as exc:
        fail(f"the run could not start: {exc}", EXIT_FAILED)
    _print_table(summary.rows())
    if summary.errors:
        sys.exit(EXIT_FAILED)


@click.command("subscribe")
@click.option("--fhir-base", required=True, help="FHIR base URL (R4 Subscriptions).")
@click.option("--webhook-url", required=True, help="Public URL of ms-monitor's /hooks/fhir.")
@click.option("--auth", type=click.Choice(["none", "backend"]), default="none", show_default=True)
def subscribe_command(fhir_base: str, webhook_url: str, auth: str) -> None:
    """Register (or reuse) the rest-hook Subscriptions that keep plans current."""
    from smart_app.jobs.subscriptions import register_subscriptions
    from smart_app.service.connection import unattended_client
    from smart_app.service.context import evaluation_context

    settings = Settings()
    if not settings.webhook_secret:
        fail("MS_MONITOR_WEBHOOK_SECRET is not set", EXIT_BAD_INPUT)
    try:
        client = unattended_client(fhir_base, auth=auth, settings=settings)
        registered = register_subscriptions(
            client,
            endpoint=webhook_url,
            secret=settings.webhook_secret,
            terminology=evaluation_context(settings).terminology,
        )
    except ConfigurationError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    except FhirError as exc:
        fail(f"registering Subscriptions failed: {exc}", EXIT_FAILED)
    for item in registered:
        click.echo(f"{item.action:<8} Subscription/{item.subscription_id}  {item.criteria}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--maintenance-interval", type=int, default=600, hidden=True)
@click.option("--job-monitoring-interval", type=int, default=30, hidden=True)
def worker_command(burst: bool, maintenance_interval: int, job_monitoring_interval: int) -> None:
    """Run an RQ worker on the patient-update queue (with the retry scheduler)."""
    from rq import Worker

    import smart_app.service.patient_plan  # noqa: F401 - preload the engine before forking
    from smart_app.jobs.queue import patient_queue, redis_connection

    settings = Settings()
    try:
        connection = redis_connection(settings)
    except ConfigurationError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    worker = Worker(
        [patient_queue(connection, settings)],
        connection=connection,
        maintenance_interval=maintenance_interval,
        job_monitoring_interval=job_monitoring_interval,
    )
    worker.work(burst=burst, with_scheduler=True)


@click.group("jobs")
def jobs_group() -> None:
    """Inspect and replay failed patient updates."""


@jobs_group.command("failed")
def jobs_failed() -> None:
    """List jobs that used up their retries."""
    from smart_app.jobs.queue import failed_jobs, patient_queue, redis_connection

    settings = Settings()
    queue = patient_queue(redis_connection(settings), settings)
    found = failed_jobs(queue)
    for job in found:
        click.echo(f"{job.job_id}  {job.description}  {job.error}")
    click.echo(f"{len(found)} failed job(s)", err=True)


@jobs_group.command("replay")
@click.argument("job_ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Requeue every failed job.")
def jobs_replay(job_ids: tuple[str, ...], everything: bool) -> None:
    """Requeue failed jobs by id, or all of them."""
    from smart_app.jobs.queue import patient_queue, redis_connection, replay_failed

    if bool(job_ids) == everything:
        fail("give job ids or --all", EXIT_BAD_INPUT)
    settings = Settings()
    queue = patient_queue(redis_connection(settings), settings)
    requeued = replay_failed(queue, None if everything else job_ids)
    click.echo(f"requeued {len(requeued)} job(s)")
    if not everything and len(requeued) != len(job_ids):
        sys.exit(EXIT_FAILED)


@click.group("keys")
def keys_group() -> None:
    """Backend Services key pairs."""


@keys_group.command("generate")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option("--alg", type=click.Choice(["RS384", "ES384"]), default="RS384", show_default=True)
@click.option("--kid", help="Key id (default: the key's JWK thumbprint).")
def keys_generate(out_dir: Path, alg: str, kid: str | None) -> None:
    """Write backend-private.pem (0600) and jwks.json (register the JWKS with the EHR)."""
    from smart_app.auth.jwks import generate_signing_key, write_key_files

    key = generate_signing_key(alg, kid)
    try:
        private_path, jwks_path = write_key_files(key, out_dir)
    except ConfigurationError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    click.echo(f"private key: {private_path}\npublic JWKS: {jwks_path}\nkid: {key.key_id}")
    click.echo(
        f"set MS_MONITOR_BACKEND_PRIVATE_KEY_FILE={private_path} "
        f"MS_MONITOR_BACKEND_KEY_ID={key.key_id} MS_MONITOR_BACKEND_ALG={alg}"
    )


def register_commands(main: click.Group) -> None:
    for command in (run_command, subscribe_command, worker_command, jobs_group, keys_group):
        main.add_command(command)
