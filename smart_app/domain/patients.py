"""Input shapes: a Bundle, a list of resources, or models; and splitting a Bundle by patient.

Resources inside a Bundle may have no ``id`` but a ``fullUrl`` (``urn:uuid:...`` in transaction
and Synthea Bundles); references may point at either, so both are kept as the resource's names and
a ``urn:uuid:`` reference resolves to the resource it names (never to a second patient).
OperationOutcome entries of a searchset (``search.mode`` = ``outcome``, e.g. Epic's warnings) are
not patient data and are skipped silently (docs/clinical-rules.md, "Q. Data quality").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from smart_app.domain.fhir_read import JsonDict, as_resource, get_list, get_str

#: Elements that point at the patient a clinical resource belongs to.
SUBJECT_KEYS = ("subject", "patient", "for")


class Entry(NamedTuple):
    """A resource (dict, or None when unreadable) with the name references use for it.

    A named tuple rather than a frozen dataclass: one is made for every resource of a Bundle
    (the extractor names a plain list's resources without one), and a tuple is several times
    cheaper to build."""

    resource: JsonDict | None
    ref: str | None
    full_url: str | None
    raw_index: int


#: ``tuple.__new__``: builds an :class:`Entry` from its four fields in order without the Python
#: ``__new__`` a named tuple adds (half the cost, paid for every resource listed).
_new_entry = tuple.__new__


def iter_entries(resources: object) -> Iterator[Entry]:
    """Flatten a Bundle (nested Bundles too), a list of resources, or a single resource."""
    return iter(list_entries(resources))


def list_entries(resources: object) -> list[Entry]:
    """:func:`iter_entries` as a list, written as plain loops: it runs for every resource."""
    found: list[Entry] = []
    items: Iterable[Any]
    if type(resources) is list or type(resources) is tuple:
        items = resources  # the usual input, checked without an ABC or attribute probe
    elif isinstance(resources, dict) or hasattr(resources, "model_dump"):
        _add(found, resources, None)
        return found
    elif isinstance(resources, Iterable) and not isinstance(resources, str | bytes):
        items = resources
    else:
        _add(found, resources, None)
        return found
    for item in items:
        rtype = item.get("resourceType") if isinstance(item, dict) else None
        if isinstance(rtype, str) and rtype and rtype != "Bundle":
            # the usual item, a plain resource: named here without the general path's calls
            rid = item.get("id")
            ref = f"{rtype}/{rid}" if isinstance(rid, str) and rid else None
            found.append(_new_entry(Entry, (item, ref, None, len(found) + 1)))
        else:
            _add(found, item, None)
    return found


def _add(found: list[Entry], item: object, full_url: str | None) -> None:
    """The general path of :func:`list_entries`: models, Bundles (nested too), garbage. A plain
    function rather than a closure: a recursive closure is a reference cycle per call."""
    resource = item if isinstance(item, dict) else as_resource(item)
    if resource is not None and resource.get("resourceType") == "Bundle":
        for entry in get_list(resource, "entry"):
            if not isinstance(entry, dict):
                _add(found, None, None)
            elif not _is_outcome(entry):
                _add(found, entry.get("resource"), get_str(entry, "fullUrl"))
        return
    found.append(Entry(resource, _ref_of(resource, full_url), full_url, len(found) + 1))


def _is_outcome(entry: JsonDict) -> bool:
    """An OperationOutcome entry (``search.mode`` outcome, or any OperationOutcome)."""
    search = entry.get("search")
    if isinstance(search, dict) and search.get("mode") == "outcome":
        return True
    resource = entry.get("resource")
    return isinstance(resource, dict) and resource.get("resourceType") == "OperationOutcome"


def _ref_of(resource: JsonDict | None, full_url: str | None) -> str | None:
    if resource is None:
        return None
    rtype, rid = resource.get("resourceType"), resource.get("id")
    if isinstance(rtype, str) and rtype and isinstance(rid, str) and rid:
        return f"{rtype}/{rid}"
    return full_url


def subject_of(resource: JsonDict) -> str | None:
    """The patient reference of a clinical resource (subject, patient or Task.for)."""
    for key in SUBJECT_KEYS:
        ref = resource.get(key)
        if isinstance(ref, dict):
            value = ref.get("reference")
            if isinstance(value, str):
                return value
    return None


def _normalise(ref: str) -> str:
    """``http://server/fhir/Patient/1`` and ``Patient/1/_history/2`` -> ``Patient/1``."""
    if ref.startswith("urn:"):
        return ref
    parts = ref.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return "/".join(parts[-2:]) if len(parts) >= 2 else ref


def group_by_patient(resources: object) -> dict[str, JsonDict]:
    """Split resources of several patients into one collection Bundle per patient.

    Keys are ``Patient/<id>`` (or the reference used when the Patient resource is absent).
    Resources without a subject (Medication, Practitioner...) go to every patient, since any of them
    may reference them. Order follows the input, so the result is deterministic.
    """
    entries = list(iter_entries(resources))
    alias: dict[str, str] = {}
    groups: dict[str, list[JsonDict]] = {}
    shared: list[JsonDict] = []
    for entry in entries:
        res = entry.resource
        if res is not None and res.get("resourceType") == "Patient" and entry.ref is not None:
            key = _normalise(entry.ref)
            alias[key] = key
            if entry.full_url:
                alias[entry.full_url] = key
                alias[_normalise(entry.full_url)] = key
            groups.setdefault(key, [])
    for entry in entries:
        res = entry.resource
        if res is None:
            continue
        wrapped: JsonDict = {"resource": res}
        if entry.full_url:
            wrapped["fullUrl"] = entry.full_url
        if res.get("resourceType") == "Patient" and entry.ref is not None:
            groups[alias[_normalise(entry.ref)]].append(wrapped)
            continue
        subject = subject_of(res)
        if subject is None:
            shared.append(wrapped)
            continue
        key = alias.get(subject) or alias.get(_normalise(subject)) or _normalise(subject)
        groups.setdefault(key, []).append(wrapped)
    return {
        key: {"resourceType": "Bundle", "type": "collection", "entry": [*items, *shared]}
        for key, items in groups.items()
    }
