"""Reading FHIR Bundles from files given on the command line.

Bad input gets one clear error (:class:`InputError`) and changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from smart_app.errors import InputError


def load_bundle(path: Path) -> dict[str, Any]:
    """The FHIR Bundle in ``path`` with its entries whole: ``fullUrl`` (``urn:uuid:``
    references of transaction and Synthea Bundles resolve through it) and ``search``."""
    document = load_json(path)
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        found = (
            document.get("resourceType") if isinstance(document, dict) else type(document).__name__
        )
        raise InputError(f"{path}: not a FHIR Bundle (found {found!s})")
    entries = document.get("entry", [])
    if not isinstance(entries, list):
        raise InputError(f"{path}: Bundle.entry is not a list")
    return {**document, "entry": entries}


def load_site_codes(path: Path) -> object:
    """A site-codes JSON file (checked by the engine when the context is built)."""
    return load_json(path)


def load_json(path: Path) -> Any:
    """The JSON document in ``path``; one clear :class:`InputError` when it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text, so not a FHIR JSON Bundle") from exc
    try:
        document: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON (line {exc.lineno}, column {exc.colno})") from exc
    return document
