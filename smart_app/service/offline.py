"""``ms-monitor evaluate``: the engine on Bundle files, no server involved."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from smart_app.errors import InputError
from smart_app.inputs import load_bundle
from smart_app.service.context import EvaluationContext
from smart_app.service.engine import evaluate, patients_in, report_only


def evaluate_files(
    paths: Sequence[Path], *, careplan: bool, context: EvaluationContext
) -> list[dict[str, Any]]:
    """One report (or, with ``careplan``, one transaction Bundle) per patient in the files.

    Every file is read and checked before anything is evaluated, so a bad file reports at once.
    The Bundles are read whole, with their ``fullUrl``s, so ``urn:uuid:`` references resolve.
    """
    bundles = [load_bundle(path) for path in paths]
    per_patient = patients_in(bundles)
    if not per_patient:
        raise InputError("the Bundles hold no patient data (no Patient and no subject references)")
    outputs: list[dict[str, Any]] = []
    for bundle in per_patient.values():
        if not careplan:
            outputs.append(report_only(bundle, context).to_json())
            continue
        changes = evaluate(bundle, [], context).changes
        outputs.append(
            changes.bundle or {"resourceType": "Bundle", "type": "transaction", "entry": []}
        )
    return outputs
