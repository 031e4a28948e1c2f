"""The scopes ms-monitor asks for, in one place, and how to read what was granted.

SMART App Launch 2.x writes resource scopes as ``patient/Observation.rs`` (create, read, update,
delete, search); 1.0 writes ``patient/Observation.read`` / ``.write``. A server that lists the
``permission-v2`` capability gets v2 scopes, any other v1 scopes
(https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#scopes-for-requesting-fhir-resources).
The app reads only what the engine needs and writes only its own CarePlan and Tasks.
"""

from __future__ import annotations

from collections.abc import Iterable

from smart_app.domain.reads import AUDIT_TYPES, NOTE_TYPES, PATIENT_TYPE, PLAN_TYPES, read_types

#: What the engine reads and what ms-monitor writes (smart_app.domain.reads).
READ_RESOURCES: tuple[str, ...] = read_types()
WRITE_RESOURCES: tuple[str, ...] = PLAN_TYPES
#: Create-only: the Provenance that records who wrote the plan (product.md, Security).
AUDIT_RESOURCES: tuple[str, ...] = AUDIT_TYPES
#: Create and search: the EHR note with the plan (searched before any retry of its create).
NOTE_RESOURCES: tuple[str, ...] = NOTE_TYPES
IDENTITY_SCOPES: tuple[str, ...] = ("openid", "fhirUser")
EHR_LAUNCH_SCOPE = "launch"
STANDALONE_PATIENT_SCOPE = "launch/patient"
OFFLINE_ACCESS_SCOPE = "offline_access"
#: A refresh token while the user is online (Oracle Health access tokens last 570 s): a write
#: after expiry refreshes instead of ending the session.
ONLINE_ACCESS_SCOPE = "online_access"

_V1_PERMISSIONS = {"read": frozenset("rs"), "write": frozenset("cud"), "*": frozenset("cruds")}


def resource_scopes(*, v2: bool) -> tuple[str, ...]:
    """Patient-level read scopes for the engine's inputs, write scopes for our own plan."""
    return tuple(f"patient/{scope}" for scope in resource_permissions(v2=v2))


def resource_permissions(*, v2: bool) -> tuple[str, ...]:
    """``Type.permission`` for every resource the app uses (a launch prefixes ``patient/``,
    Backend Services ``system/``)."""
    read, write, create = (".rs", ".cu", ".c") if v2 else (".read", ".write", ".write")
    notes = (".crs",) if v2 else (".read", ".write")
    return (
        tuple(f"{r}{read}" for r in READ_RESOURCES)
        + tuple(f"{r}{write}" for r in WRITE_RESOURCES)
        + tuple(f"{r}{create}" for r in AUDIT_RESOURCES)
        + tuple(f"{r}{n}" for r in NOTE_RESOURCES for n in notes)
    )


def launch_scopes(*, ehr_launch: bool, v2: bool, offline_access: bool = False) -> str:
    """The scope string for an authorize request (EHR launch ``launch``, standalone
    ``launch/patient``; https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html).
    Always a refresh token: ``offline_access`` where the registration allows it, else
    ``online_access``."""
    scopes = [EHR_LAUNCH_SCOPE if ehr_launch else STANDALONE_PATIENT_SCOPE, *IDENTITY_SCOPES]
    scopes.extend(resource_scopes(v2=v2))
    scopes.append(OFFLINE_ACCESS_SCOPE if offline_access else ONLINE_ACCESS_SCOPE)
    return " ".join(scopes)


#: What the clinic's worklist reads across patients (``user/`` level): the patients' names and
#: our plans; opening a row reads that patient's record with the same grant (READ_RESOURCES).
WORKLIST_RESOURCES: tuple[str, ...] = tuple(dict.fromkeys((PATIENT_TYPE, *PLAN_TYPES)))
_LAUNCH_CONTEXT_SCOPES = frozenset({EHR_LAUNCH_SCOPE, STANDALONE_PATIENT_SCOPE})


def worklist_scopes(*, v2: bool, offline_access: bool = False, registered: str = "") -> str:
    """The scope string of the worklist's standalone *provider* launch: ``openid fhirUser``,
    user-level reads of the engine's inputs and of our plan (the same lists as a patient
    launch, read only), a refresh token as a patient launch asks it, and no ``launch/patient``
    (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#user-scopes).
    ``registered``: a registration's own scope string, used with its launch scopes dropped and
    the read part of its ``patient/`` scopes asked at ``user/`` level."""
    if registered:
        kept = (s for s in registered.split() if s not in _LAUNCH_CONTEXT_SCOPES)
        asked = (_user_read(s) if s.startswith("patient/") else s for s in kept)
        return " ".join(s for s in asked if s)
    read = ".rs" if v2 else ".read"
    scopes = [*IDENTITY_SCOPES]
    scopes.extend(f"user/{r}{read}" for r in dict.fromkeys((*WORKLIST_RESOURCES, *READ_RESOURCES)))
    scopes.append(OFFLINE_ACCESS_SCOPE if offline_access else ONLINE_ACCESS_SCOPE)
    return " ".join(scopes)


def _user_read(scope: str) -> str | None:
    """``patient/X.crs`` -> ``user/X.rs``, ``patient/X.read`` -> ``user/X.read``; a scope with
    no read part (``patient/X.cu``, ``patient/X.write``) -> None: the worklist only reads."""
    resource, _, permission = scope.removeprefix("patient/").partition(".")
    letters, mark, query = permission.partition("?")
    if letters in ("read", "*"):
        reads = "read"
    elif letters == "write" or not set(letters) <= set("cruds"):
        return None
    else:
        reads = "".join(c for c in letters if c in "rs")
    return f"user/{resource}.{reads}{mark}{query}" if reads else None


def user_allowed(granted: Iterable[str], resource: str, interactions: str) -> bool:
    """A ``user/`` (or ``system/``) scope allows ``interactions`` on ``resource`` across
    patients; a ``patient/`` scope never does (it is bound to one patient in context)."""
    return allowed((s for s in granted if not s.startswith("patient/")), resource, interactions)


def worklist_allowed(granted: Iterable[str]) -> bool:
    """The grant reads patients at user level: the least the worklist needs (names; the rest
    is asked and, where a server refuses a search, reported or read by id instead). Registered
    scopes such as Epic's ``Patient.r`` (read, no search) are enough."""
    return user_allowed(granted, PATIENT_TYPE, "r")


def _permissions(scope: str, resource: str) -> frozenset[str]:
    """The interactions (subset of ``cruds``) one granted scope allows on ``resource``."""
    context, _, rest = scope.partition("/")
    if context not in {"patient", "user", "system"} or not rest:
        return frozenset()
    scoped_resource, _, permission = rest.partition(".")
    if "?" in permission or scoped_resource not in {"*", resource}:
        # a granular scope (``?category=...``) allows only part of the resource: not enough
        # for the engine, which must see all of a patient's data of that type
        return frozenset()
    if permission in _V1_PERMISSIONS:
        return _V1_PERMISSIONS[permission]
    if permission and set(permission) <= set("cruds"):
        return frozenset(permission)
    return frozenset()


def allowed(granted: Iterable[str], resource: str, interactions: str) -> bool:
    """True if the granted scopes (v1 or v2 syntax) allow every interaction in ``interactions``
    (e.g. ``"rs"`` to read, ``"cu"`` to write) on ``resource``."""
    have: set[str] = set()
    for scope in granted:
        have |= _permissions(scope, resource)
    return set(interactions) <= have


def can_read(granted: Iterable[str], resource: str) -> bool:
    return allowed(granted, resource, "rs")


def can_write(granted: Iterable[str], resource: str) -> bool:
    """Create and update: what a conditional-create/PUT transaction of the plan needs."""
    return allowed(granted, resource, "cu")
