"""``ms-monitor evaluate``: the engine on Bundle files, no server involved."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from smart_app.domain import EvaluationContext, evaluate_patient, group_by_patient, plan_transaction
from smart_app.errors import InputError
from smart_app.inputs import load_bundle, load_site_codes
from smart_app.settings import Settings


def evaluate_files(
    paths: Sequence[Path],
    *,
    as_of: date,
    careplan: bool,
    settings: Settings,
    site_codes: Path | None = None,
) -> list[dict[str, Any]]:
    """One report (or, with ``careplan``, one transaction Bundle) per patient in the files.

    Every file is read and checked before anything is evaluated, so a bad file reports at once.
    The Bundles are read whole, with their ``fullUrl``s, so ``urn:uuid:`` references resolve.
    """
    bundles = [load_bundle(path) for path in paths]
    try:
        context = EvaluationContext.build(
            as_of,
            canonical_base=settings.canonical_base,
            site_codes=load_site_codes(site_codes) if site_codes is not None else None,
        )
    except ValueError as exc:
        raise InputError(f"{site_codes}: {exc}") from exc
    per_patient = group_by_patient(bundles)
    if not per_patient:
        raise InputError("the Bundles hold no patient data (no Patient and no subject references)")
    outputs: list[dict[str, Any]] = []
    for bundle in per_patient.values():
        report = evaluate_patient(bundle, context)
        if not careplan:
            outputs.append(report.to_json())
            continue
        changes = plan_transaction(report, [])
        outputs.append(
            changes.bundle or {"resourceType": "Bundle", "type": "transaction", "entry": []}
        )
    return outputs
