"""``ms-monitor evaluate``: the engine on Bundle files, no server involved."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from smart_app.domain import RuleSettings, evaluate_patient, group_by_patient, plan_transaction
from smart_app.errors import InputError
from smart_app.inputs import load_bundle_resources
from smart_app.settings import Settings


def evaluate_files(
    paths: Sequence[Path], *, as_of: date, careplan: bool, settings: Settings
) -> list[dict[str, Any]]:
    """One report (or, with ``careplan``, one transaction Bundle) per patient in the files.

    Every file is read and checked before anything is evaluated, so a bad file reports at once.
    """
    resources: list[dict[str, Any]] = []
    for path in paths:
        resources.extend(load_bundle_resources(path))
    per_patient = group_by_patient(resources)
    if not per_patient:
        raise InputError("the Bundles hold no patient data (no Patient and no subject references)")
    rules = RuleSettings(canonical_base=settings.canonical_base)
    outputs: list[dict[str, Any]] = []
    for bundle in per_patient.values():
        report = evaluate_patient(bundle, as_of=as_of, settings=rules)
        if not careplan:
            outputs.append(report.to_json())
            continue
        changes = plan_transaction(report, [], as_of=as_of, settings=rules)
        outputs.append(
            changes.bundle or {"resourceType": "Bundle", "type": "transaction", "entry": []}
        )
    return outputs
