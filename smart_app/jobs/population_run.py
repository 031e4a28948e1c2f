"""The two ways ``ms-monitor run`` reads a population: FHIR searches, or a Bulk Data export.

Searched: the patient ids are found first (ids only), then each patient is read, evaluated and
written (with Provenance) by the application service. Bulk: one ``$export`` streams NDJSON into an
on-disk SQLite store grouped by patient; then each patient is evaluated from the store and only its
plan is read from the server (https://hl7.org/fhir/uv/bulkdata/export.html).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

import click

from smart_app.fhir import FhirClient
from smart_app.fhir.bulk import delete_export, kick_off, stream_ndjson, wait_for_manifest
from smart_app.fhir.population_search import (
    PopulationUnavailable,
    group_member_ids,
    ms_patient_ids,
    offers_group_export,
)
from smart_app.jobs.bulk_store import PatientResourceStore
from smart_app.jobs.population import PatientWork, PopulationSummary, iter_ids, run_population
from smart_app.service.context import EvaluationContext
from smart_app.service.patient_plan import update_exported_patient_plan, update_patient_plan
from smart_app.service.plan_delivery import PlanHome, update_patient_plan_at
from smart_app.service.server_reads import read_setup
from smart_app.site_config import SiteConfiguration


def run_searched(
    client: FhirClient,
    *,
    patients: Sequence[str],
    group_id: str | None,
    context: EvaluationContext,
    dry_run: bool,
    concurrency: int,
    show_progress: bool = True,
    site: SiteConfiguration | None = None,
    home: PlanHome | None = None,
) -> PopulationSummary:
    """``home``: the plan targets of this server (None: the server itself, as before). The
    population is found before any patient is read: a server that cannot list it raises
    :class:`PopulationUnavailable` (smart_app.fhir.population_search)."""
    if patients:
        ids = list(iter_ids(patients))
    else:
        setup = read_setup(client, context, site or (home.site if home else None))
        profile = setup.profile(client)
        if group_id:
            ids = group_member_ids(client, group_id, profile)
        else:
            diagnosis = context.terminology.ms_diagnosis
            ids = ms_patient_ids(client, diagnosis, profile, setup.profiles)
    work: Iterator[PatientWork] = (
        (
            pid,
            partial(update_patient_plan_at, home, pid, context, dry_run=dry_run)
            if home is not None
            else partial(update_patient_plan, client, pid, context, dry_run=dry_run, site=site),
        )
        for pid in ids
    )
    return _with_progress(work, len(ids), concurrency, show_progress)


def run_bulk(
    client: FhirClient,
    *,
    group_id: str | None,
    context: EvaluationContext,
    dry_run: bool,
    concurrency: int,
    work_dir: Path,
    show_progress: bool = True,
    site: SiteConfiguration | None = None,
) -> PopulationSummary:
    """``Group/[id]/$export`` (or ``Patient/$export`` for ``--all``), then each MS patient. A
    server that exports only Groups (Epic) refuses ``--all --bulk`` before the kick-off."""
    if group_id is None:
        profile = read_setup(client, context, site).profile(client)
        if offers_group_export(profile) and not profile.offers_operation("Patient", "export"):
            raise PopulationUnavailable(
                f"{client.base_url} exports only Groups (Group $export, no Patient $export): "
                "use --group ID --bulk"
            )
    status_url = kick_off(client, group_id=group_id)
    files = wait_for_manifest(
        client, status_url, on_progress=lambda p: click.echo(f"export: {p}", err=True)
    )
    store = PatientResourceStore(work_dir / "export.sqlite", context.terminology)
    try:
        for item in files:
            store.add_all(stream_ndjson(client, item.url))
        delete_export(client, status_url)
        # The store is read here, in this thread; only one window of patients is in memory.
        work: Iterator[PatientWork] = (
            (
                pid,
                partial(
                    update_exported_patient_plan,
                    client,
                    pid,
                    store.resources(pid),
                    context,
                    dry_run=dry_run,
                    site=site,
                ),
            )
            for pid in list(store.ms_patients())
        )
        return _with_progress(work, store.ms_patient_count(), concurrency, show_progress)
    finally:
        store.close()


def _with_progress(
    work: Iterator[PatientWork], total: int, concurrency: int, show: bool
) -> PopulationSummary:
    if not show:
        return run_population(work, concurrency=concurrency)
    with click.progressbar(length=total, label="patients", file=sys.stderr, show_pos=True) as bar:
        return run_population(work, concurrency=concurrency, on_done=lambda _: bar.update(1))
