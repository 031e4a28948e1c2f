"""What one FHIR server offers, decided per issuer: the basis of portable reads and writes.

Production EHRs answer less than HAPI (no batch on Epic, no ImagingStudy or Task on Oracle
Health, required search parameters), and a third of Epic sites differ from Epic's own statement.
So the app decides per server, from its CapabilityStatement
(https://hl7.org/fhir/R4/capabilitystatement.html), its SMART configuration
(https://hl7.org/fhir/smart-app-launch/conformance.html) and the scopes actually granted
(https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html), and it remembers what the
server refused at run time (``remember_refusal``): servers advertise more than they accept.

:func:`decide_profile` is pure; :class:`ServerProfiles` fetches through :class:`FhirClient` (the
only HTTP client) and caches per issuer with a TTL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from smart_app.auth.scopes import allowed
from smart_app.errors import FhirError
from smart_app.fhir.client import FhirClient

#: Parameters every search may carry without the server declaring them.
RESULT_PARAMS = frozenset({"_count", "_include", "_revinclude", "_sort", "_id", "_format"})
DEFAULT_TTL_SECONDS = 3600.0
BATCH = "batch"


@dataclass(frozen=True, slots=True)
class TypeSupport:
    """One resource type of the statement: interactions, search parameters, includes."""

    interactions: frozenset[str]
    search_params: frozenset[str] = frozenset()
    search_includes: frozenset[str] = frozenset()
    conditional_create: bool = False
    #: operations declared on the type (``export``: Bulk Data ``Group/[id]/$export``)
    operations: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ServerProfile:
    """What a server offers this app, as far as its statement, configuration and grant say.

    ``granted`` empty with ``open_server`` means no OAuth at all (an open server): every type it
    offers is readable. ``refusals`` are what it refused at run time: a type (``ImagingStudy``),
    a search signature (``Observation?patient``) or ``batch``.
    """

    issuer: str
    software: str = ""
    types: Mapping[str, TypeSupport] = field(default_factory=dict)
    batch: bool = False
    transaction: bool = False
    smart_v1: bool = False
    smart_v2: bool = False
    pkce_s256: bool = False
    granted: frozenset[str] = frozenset()
    open_server: bool = False
    refusals: frozenset[str] = frozenset()

    def readable(self, resource_type: str) -> bool:
        """The server offers the type, the grant allows reading it, and it was not refused."""
        support = self.types.get(resource_type)
        if support is None or resource_type in self.refusals:
            return False
        if not ({"read", "search-type"} & support.interactions):
            return False
        return self.open_server or allowed(self.granted, resource_type, "rs")

    def can_search(self, resource_type: str, params: Iterable[str]) -> bool:
        """A search with these parameter names is declared, granted and not refused."""
        if not self.readable(resource_type):
            return False
        support = self.types[resource_type]
        names = sorted({p.split(":")[0] for p in params} - RESULT_PARAMS)
        if "search-type" not in support.interactions:
            return False
        if search_signature(resource_type, names) in self.refusals:
            return False
        return set(names) <= support.search_params

    def can_include(self, include: str) -> bool:
        """``_include`` declared (``MedicationRequest:medication``), and its target readable."""
        source, _, _target = include.partition(":")
        support = self.types.get(source)
        target = include.rsplit(":", 1)[-1].capitalize()
        if support is None or not self.readable(target):
            return False
        return include in support.search_includes or "*" in support.search_includes

    def offers_operation(self, resource_type: str, name: str) -> bool:
        """The statement declares operation ``name`` on the type (``Group``, ``export``)."""
        support = self.types.get(resource_type)
        return support is not None and name in support.operations

    def can_write(self, resource_type: str, interaction: str) -> bool:
        """``create`` or ``update`` declared and granted (no vendor stores an app's CarePlan)."""
        support = self.types.get(resource_type)
        if support is None or interaction not in support.interactions:
            return False
        letter = {"create": "c", "update": "u"}.get(interaction, "c")
        return self.open_server or allowed(self.granted, resource_type, letter)

    @property
    def uses_batch(self) -> bool:
        """Batch declared (or transaction: HAPI declares only that and answers batch too), and
        not refused at run time."""
        return (self.batch or self.transaction) and BATCH not in self.refusals

    def refused(self, what: str) -> ServerProfile:
        return replace(self, refusals=self.refusals | {what})


def search_signature(resource_type: str, names: Iterable[str]) -> str:
    """``Observation?category``: what a refusal of a search is remembered as (the parameter
    names; ``patient``, values and result parameters left out)."""
    kept = sorted({n.split(":")[0] for n in names} - RESULT_PARAMS - {"patient", "subject"})
    return f"{resource_type}?{'&'.join(kept)}" if kept else resource_type


def decide_profile(
    issuer: str,
    capability_statement: Mapping[str, Any] | None,
    smart_configuration: Mapping[str, Any] | None,
    granted_scopes: Iterable[str] | None,
) -> ServerProfile:
    """The profile of a server from its documents (pure). ``granted_scopes`` None: open server."""
    types: dict[str, TypeSupport] = {}
    batch = transaction = False
    software = ""
    if capability_statement:
        software = str((capability_statement.get("software") or {}).get("name", ""))
        for rest in capability_statement.get("rest") or []:
            if not isinstance(rest, dict) or rest.get("mode", "server") != "server":
                continue
            system = {
                str(i.get("code")) for i in rest.get("interaction") or [] if isinstance(i, dict)
            }
            batch = batch or "batch" in system
            transaction = transaction or "transaction" in system
            for resource in rest.get("resource") or []:
                if isinstance(resource, dict) and resource.get("type"):
                    types[str(resource["type"])] = _type_support(resource)
    config = smart_configuration or {}
    capabilities = {str(c) for c in config.get("capabilities") or []}
    methods = {str(m) for m in config.get("code_challenge_methods_supported") or []}
    return ServerProfile(
        issuer=issuer,
        software=software,
        types=types,
        batch=batch,
        transaction=transaction,
        smart_v1="permission-v1" in capabilities,
        smart_v2="permission-v2" in capabilities,
        pkce_s256="S256" in methods,
        granted=frozenset(granted_scopes or ()),
        open_server=granted_scopes is None,
    )


def _type_support(resource: Mapping[str, Any]) -> TypeSupport:
    interactions = {
        str(i.get("code")) for i in resource.get("interaction") or [] if isinstance(i, dict)
    }
    params = {str(p.get("name")) for p in resource.get("searchParam") or [] if isinstance(p, dict)}
    operations = {
        str(o.get("name")).removeprefix("$")
        for o in resource.get("operation") or []
        if isinstance(o, dict) and o.get("name")
    }
    return TypeSupport(
        interactions=frozenset(interactions),
        search_params=frozenset(params),
        search_includes=frozenset(str(i) for i in resource.get("searchInclude") or []),
        conditional_create=bool(resource.get("conditionalCreate", False)),
        operations=frozenset(operations),
    )


#: What a server whose CapabilityStatement cannot be read is assumed to answer: the US Core
#: searches (https://hl7.org/fhir/us/core/STU6.1/CapabilityStatement-us-core-server.html) and a
#: patient search of every other type; its refusals (remembered) teach the rest.
ASSUMED_SEARCH_PARAMS: Mapping[str, frozenset[str]] = {
    "Patient": frozenset({"_id"}),
    "Condition": frozenset({"patient", "category", "code"}),
    "Observation": frozenset({"patient", "category", "code"}),
    "MedicationRequest": frozenset({"patient", "intent", "status"}),
    "Medication": frozenset(),
    "DiagnosticReport": frozenset({"patient", "category", "code"}),
    "ImagingStudy": frozenset({"patient"}),
    "MedicationAdministration": frozenset({"patient"}),
    "MedicationStatement": frozenset({"patient"}),
    "CarePlan": frozenset({"patient", "category"}),
    "Task": frozenset({"patient"}),
}


def assumed_profile(
    issuer: str, granted_scopes: Iterable[str] | None, refusals: frozenset[str] = frozenset()
) -> ServerProfile:
    """A profile for a server whose statement could not be read: US Core searches and batch
    assumed (a refusal falls back and is remembered), the grant applied as usual."""
    search = frozenset({"read", "search-type"})
    return ServerProfile(
        issuer=_key(issuer),
        types={
            rtype: TypeSupport(
                interactions=search,
                search_params=params,
                search_includes=frozenset({"MedicationRequest:medication"})
                if rtype == "MedicationRequest"
                else frozenset(),
            )
            for rtype, params in ASSUMED_SEARCH_PARAMS.items()
        },
        batch=True,
        granted=frozenset(granted_scopes or ()),
        open_server=granted_scopes is None,
        refusals=refusals,
    )


class ServerProfiles:
    """Profiles per issuer, cached for ``ttl_seconds``, with the refusals seen since.

    A refusal is remembered for the issuer for the same TTL (a site that fixes its server is
    tried again later), whether or not its profile was fetched yet.
    """

    def __init__(
        self, ttl_seconds: float = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.time
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._profiles: dict[str, tuple[ServerProfile, float]] = {}
        self._refusals: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def profile_for(
        self, client: FhirClient, granted_scopes: Iterable[str] | None
    ) -> ServerProfile:
        """The issuer's profile (fetched once per TTL) for these granted scopes (None: an open
        server), with the refusals remembered for it."""
        issuer = _key(client.base_url)
        granted = frozenset(granted_scopes) if granted_scopes is not None else None
        with self._lock:
            cached = self._profiles.get(issuer)
        if cached is None or self._clock() - cached[1] >= self._ttl:
            statement = client.capabilities()
            configuration = fetch_smart_configuration(client)
            cached = (decide_profile(issuer, statement, configuration, None), self._clock())
            with self._lock:
                self._profiles[issuer] = cached
        return replace(
            cached[0],
            granted=granted or frozenset(),
            open_server=granted is None,
            refusals=self.refusals(issuer),
        )

    def remember_refusal(self, issuer: str, what: str) -> None:
        """The server refused ``what`` (a type, a search signature, ``batch``): don't ask again."""
        with self._lock:
            self._refusals.setdefault(_key(issuer), {})[what] = self._clock()

    def refusals(self, issuer: str) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            seen = self._refusals.get(_key(issuer), {})
            return frozenset(what for what, when in seen.items() if now - when < self._ttl)

    def forget(self, issuer: str) -> None:
        """Decide again on the next use (e.g. after the site changed its server)."""
        with self._lock:
            self._profiles.pop(_key(issuer), None)
            self._refusals.pop(_key(issuer), None)


def _key(issuer: str) -> str:
    return issuer.rstrip("/")


def fetch_smart_configuration(client: FhirClient) -> dict[str, Any] | None:
    """``{base}/.well-known/smart-configuration``, or None where there is none (open servers)."""
    try:
        answer = client.send("GET", ".well-known/smart-configuration")
        document = answer.json()
    except (FhirError, ValueError):
        return None
    return document if isinstance(document, dict) else None
