"""The write ledger: what ms-monitor wrote to an EHR that offers no conditional create.

No production EHR supports conditional create (``If-None-Exist``), so a note written to Epic or
Oracle Health cannot be made idempotent by the server. The ledger lives in ms-monitor's own plan
store (a HAPI server, which does support conditional create): one ``Basic`` resource per business
key (https://hl7.org/fhir/R4/basic.html) holding the state (``pending`` before the EHR write,
``committed`` after it) and the EHR's answer (its ``Location`` and ``ETag``). Rules:

* an entry is opened (conditional create on the key) before the EHR write;
* a ``pending`` entry means an earlier answer was lost: the caller reads the EHR before any retry;
* the entry is closed with ``PUT`` + ``If-Match`` on the version read; a 409/412 re-reads the
  entry and merges (a ``committed`` entry written by another worker wins; ours is applied else).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from smart_app.errors import FhirError
from smart_app.fhir import FhirClient

PENDING = "pending"
COMMITTED = "committed"
_CONFLICT = frozenset({409, 412})


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One business key's entry as read from the plan store (``version`` for If-Match)."""

    entry_id: str
    version: str
    key: str
    state: str
    location: str = ""
    etag: str = ""

    @property
    def committed(self) -> bool:
        return self.state == COMMITTED


class WriteLedger:
    """The ledger of EHR writes, kept in the plan store under ``canonical_base``'s systems."""

    def __init__(self, store: FhirClient, canonical_base: str) -> None:
        self._store = store
        self._system = f"{canonical_base}/write-ledger"
        self._ext = f"{canonical_base}/StructureDefinition/write-ledger"

    def find(self, key: str) -> LedgerEntry | None:
        """The entry of ``key``, read fresh from the plan store (None: never opened)."""
        for resource in self._store.search(
            "Basic", [("identifier", f"{self._system}|{key}"), ("_count", "2")]
        ):
            if resource.get("resourceType") == "Basic":
                return self._entry(resource)
        return None

    def open(self, key: str, *, subject: str, kind: str) -> LedgerEntry:
        """The entry of ``key``, created ``pending`` when absent (conditional create)."""
        resource = {
            "resourceType": "Basic",
            "identifier": [{"system": self._system, "value": key}],
            "code": {"coding": [{"system": self._system, "code": kind}]},
            "subject": {"reference": subject},
            "extension": self._extensions(PENDING, "", ""),
        }
        bundle = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {
                    "resource": resource,
                    "request": {
                        "method": "POST",
                        "url": "Basic",
                        "ifNoneExist": f"identifier={self._system}|{key}",
                    },
                }
            ],
        }
        self._store.transaction(bundle)
        found = self.find(key)
        if found is None:  # pragma: no cover - HAPI answered 200 to the create
            raise FhirError(f"the write ledger did not keep the entry {key}")
        return found

    def commit(self, entry: LedgerEntry, *, location: str, etag: str) -> LedgerEntry:
        """Record the EHR's answer with If-Match; on a version conflict re-read and merge."""
        current = entry
        for _ in range(3):
            if current.committed and current.location:
                return current  # another writer recorded the EHR's answer first: keep it
            resource = self._resource(current, COMMITTED, location, etag)
            try:
                self._store.write_once(
                    "PUT",
                    f"Basic/{current.entry_id}",
                    resource,
                    headers={"If-Match": f'W/"{current.version}"'},
                )
            except FhirError as error:
                if error.status not in _CONFLICT:
                    raise
                reread = self.find(entry.key)
                if reread is None:
                    raise
                current = reread
                continue
            return LedgerEntry(
                current.entry_id, "", current.key, COMMITTED, location=location, etag=etag
            )
        raise FhirError(f"the write ledger entry {entry.key} kept changing: not recorded")

    # -- resources ---------------------------------------------------------------------------

    def _extensions(self, state: str, location: str, etag: str) -> list[dict[str, Any]]:
        ext: list[dict[str, Any]] = [{"url": f"{self._ext}-state", "valueCode": state}]
        if location:
            ext.append({"url": f"{self._ext}-location", "valueUri": location})
        if etag:
            ext.append({"url": f"{self._ext}-etag", "valueString": etag})
        return ext

    def _resource(self, entry: LedgerEntry, state: str, location: str, etag: str) -> dict[str, Any]:
        current = self._store.read("Basic", entry.entry_id)
        current.pop("meta", None)
        current.pop("text", None)
        current["extension"] = self._extensions(state, location, etag)
        return current

    def _entry(self, resource: dict[str, Any]) -> LedgerEntry:
        values = {
            str(e.get("url", "")).removeprefix(f"{self._ext}-"): e
            for e in resource.get("extension") or []
            if isinstance(e, dict)
        }
        key = next(
            str(i.get("value"))
            for i in resource.get("identifier") or []
            if isinstance(i, dict) and i.get("system") == self._system
        )
        return LedgerEntry(
            entry_id=str(resource.get("id")),
            version=str((resource.get("meta") or {}).get("versionId", "")),
            key=key,
            state=str(values.get("state", {}).get("valueCode", PENDING)),
            location=str(values.get("location", {}).get("valueUri", "")),
            etag=str(values.get("etag", {}).get("valueString", "")),
        )
