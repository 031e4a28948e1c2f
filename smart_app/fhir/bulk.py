"""FHIR Bulk Data export (https://hl7.org/fhir/uv/bulkdata/export.html), through FhirClient.

Kick-off with ``Prefer: respond-async`` answers 202 and a ``Content-Location`` status URL; polling
it answers 202 (with ``X-Progress`` and ``Retry-After``) until the 200 manifest lists the NDJSON
files; each file is streamed line by line so a large population never sits in memory at once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from smart_app.errors import FhirFatalError, FhirTemporaryError
from smart_app.fhir.client import FhirClient

log = logging.getLogger(__name__)

#: Everything the engine reads (clinical-rules.md, "Inputs").
EXPORT_TYPES = (
    "Patient,Condition,Observation,ImagingStudy,MedicationRequest,MedicationStatement,"
    "MedicationAdministration,DiagnosticReport"
)
NDJSON = "application/fhir+ndjson"
#: Bounds on the wait between polls, whatever Retry-After says.
MIN_POLL_SECONDS = 0.2
MAX_POLL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class ExportFile:
    resource_type: str
    url: str


def kick_off(client: FhirClient, *, group_id: str | None = None, types: str = EXPORT_TYPES) -> str:
    """Start an export (``Group/[id]/$export`` or ``Patient/$export``); return the status URL."""
    path = f"Group/{group_id}/$export" if group_id else "Patient/$export"
    response = client.send(
        "GET",
        path,
        params={"_type": types, "_outputFormat": NDJSON},
        headers={"Prefer": "respond-async", "Accept": "application/fhir+json"},
    )
    location = response.headers.get("Content-Location")
    if response.status_code != 202 or not location:
        raise FhirFatalError(
            f"{path}: expected 202 with Content-Location, got {response.status_code}",
            status=response.status_code,
        )
    return location


def wait_for_manifest(
    client: FhirClient,
    status_url: str,
    *,
    timeout_seconds: float = 3600.0,
    sleep: Callable[[float], None] = time.sleep,
    on_progress: Callable[[str], None] | None = None,
) -> list[ExportFile]:
    """Poll the status URL, honouring Retry-After, until the manifest; return its output files."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        response = client.send("GET", status_url, headers={"Accept": "application/json"})
        if response.status_code == 200:
            return _manifest_files(response.json())
        progress = response.headers.get("X-Progress")
        if progress and on_progress:
            on_progress(progress)
        if time.monotonic() > deadline:
            raise FhirTemporaryError(f"bulk export not finished after {timeout_seconds:.0f} s")
        sleep(retry_after_seconds(response.headers.get("Retry-After")))


def stream_ndjson(client: FhirClient, url: str) -> Iterator[dict[str, Any]]:
    """Yield the resources of one NDJSON output file, one line at a time."""
    response = client.send("GET", url, headers={"Accept": NDJSON}, stream=True)
    try:
        for line in response.iter_lines():
            if line.strip():
                resource: Any = json.loads(line)
                if isinstance(resource, dict):
                    yield resource
    finally:
        response.close()


def delete_export(client: FhirClient, status_url: str) -> None:
    """Tell the server the files may go (best effort: an export expires anyway)."""
    try:
        client.send("DELETE", status_url)
    except (FhirFatalError, FhirTemporaryError) as exc:
        log.info("bulk export clean-up refused: %s", exc)


def retry_after_seconds(value: str | None, *, default: float = 1.0) -> float:
    """Retry-After as seconds (delta-seconds or an HTTP date), clamped to sane bounds."""
    seconds = default
    if value:
        if value.strip().isdigit():
            seconds = float(value.strip())
        else:
            try:
                seconds = parsedate_to_datetime(value).timestamp() - time.time()
            except (TypeError, ValueError):
                seconds = default
    return min(max(seconds, MIN_POLL_SECONDS), MAX_POLL_SECONDS)


def _manifest_files(manifest: Any) -> list[ExportFile]:
    if not isinstance(manifest, dict):
        raise FhirFatalError("the bulk export manifest is not a JSON object")
    files = []
    for item in manifest.get("output") or []:
        if isinstance(item, dict) and isinstance(item.get("url"), str):
            files.append(ExportFile(str(item.get("type", "")), item["url"]))
    return files
