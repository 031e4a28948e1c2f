"""Who an unattended run evaluates: every patient with an MS diagnosis, or a Group's members.

The population searches of ``ms-monitor run``, sent through :class:`FhirClient` with the say of
the server's profile (smart_app.fhir.server_profile): ``--all`` is ``Condition?code=<MS codes>``
without a patient (``_elements=subject``: ids only), ``--group`` reads ``Group/[id]``.
Production EHRs answer Condition only within one patient's chart (US Core requires no more than
``patient``: https://hl7.org/fhir/us/core/STU6.1/CapabilityStatement-us-core-server.html; Epic
and Oracle Health refuse a search without it), and Epic serves Group only through Bulk Data
``$export`` (https://hl7.org/fhir/uv/bulkdata/export.html#endpoint---group-of-patients). Where
the server cannot list the population asked for, :class:`PopulationUnavailable` says so and
names what it offers instead, before any patient is read or any plan written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from smart_app.domain.references import patient_id_of_reference
from smart_app.errors import FhirError, InputError
from smart_app.fhir.client import FhirClient
from smart_app.fhir.outcome import error_issues
from smart_app.fhir.patient_record import SEARCH_REFUSED
from smart_app.fhir.server_profile import ServerProfile, ServerProfiles, search_signature

log = logging.getLogger(__name__)

#: The search parameters ``--all`` sends besides result parameters (no patient).
POPULATION_SEARCH = ("Condition", ("code",))
#: The Bulk Data operation that serves a Group where the Group itself cannot be read.
GROUP_EXPORT = ("Group", "export")


class PopulationUnavailable(InputError):
    """The server cannot list the population asked for; nothing was read or written. The
    message names the options of ``ms-monitor run`` the server does offer."""


def offers_group_export(profile: ServerProfile) -> bool:
    """The statement declares ``Group/[id]/$export`` (Bulk Data)."""
    return profile.offers_operation(*GROUP_EXPORT)


def ms_diagnosis_codes(diagnosis: Iterable[tuple[str, str]]) -> str:
    """The ``code`` search value for every MS diagnosis code: ``system|code`` comma-joined."""
    return ",".join(f"{system}|{code}" for system, code in sorted(diagnosis))


def ms_patient_ids(
    client: FhirClient,
    diagnosis: Iterable[tuple[str, str]],
    profile: ServerProfile,
    profiles: ServerProfiles | None = None,
) -> list[str]:
    """Every patient with an MS Condition, in first-seen order. A server whose profile offers
    no Condition search by code, or that refuses it (remembered in ``profiles``): with an error
    status, or with a 200 holding only OperationOutcome errors (Epic's way), raises
    :class:`PopulationUnavailable`."""
    rtype, names = POPULATION_SEARCH
    if not profile.can_search(rtype, names):
        reason = (
            f"it offers no {rtype} search by {', '.join(names)}"
            if profile.readable(rtype)
            else f"it offers no {rtype} search to this client"
        )
        raise _cannot_list_everyone(client, profile, reason)
    params = {"code": ms_diagnosis_codes(diagnosis), "_elements": "subject", "_count": "500"}
    seen: dict[str, None] = {}
    refusals: list[str] = []  # error issues of OperationOutcome entries (a 200 that says no)
    try:
        for found in client.search(rtype, params):
            if found.get("resourceType") == "OperationOutcome":
                issues = error_issues(found)
                refusals += [str(i.get("diagnostics") or i.get("code")) for i in issues]
                continue
            if found.get("resourceType") != rtype:
                continue
            patient = patient_id_of_reference(found.get("subject"))
            if patient is not None:
                seen.setdefault(patient, None)
    except FhirError as error:
        if error.status not in SEARCH_REFUSED:
            raise
        status = str(error.status)
    else:
        if seen and refusals:
            log.warning("the MS patient search was partly refused (%d errors)", len(refusals))
        if seen or not refusals:
            return list(seen)
        status = f"200, {'; '.join(refusals)}"
    if profiles is not None:
        profiles.remember_refusal(client.base_url, search_signature(rtype, names))
    reason = f"it refused {rtype}?{'&'.join(names)} without a patient ({status})"
    raise _cannot_list_everyone(client, profile, reason)


def group_member_ids(client: FhirClient, group_id: str, profile: ServerProfile) -> list[str]:
    """The Patient members of ``Group/group_id`` (other member types are ignored). A server
    that serves Group only through ``$export`` raises :class:`PopulationUnavailable` (add
    ``--bulk``); the read itself is tried wherever the profile does not say so."""
    if not profile.readable("Group") and offers_group_export(profile):
        raise PopulationUnavailable(
            f"{client.base_url} serves Group/{group_id} only through Bulk Data $export: "
            "add --bulk to read the Group's members with an export"
        )
    group: dict[str, Any] = client.read("Group", group_id)
    seen: dict[str, None] = {}
    for member in group.get("member") or []:
        patient = patient_id_of_reference(
            member.get("entity") if isinstance(member, dict) else None
        )
        if patient is not None:
            seen.setdefault(patient, None)
    return list(seen)


def _cannot_list_everyone(
    client: FhirClient, profile: ServerProfile, reason: str
) -> PopulationUnavailable:
    options = []
    if profile.readable("Group"):
        options.append("--group ID")
    if offers_group_export(profile):
        options.append("--group ID --bulk (this server offers Group $export)")
    options.append("--patient ID (repeatable)")
    return PopulationUnavailable(
        f"--all cannot find the MS patients on {client.base_url}: {reason}; "
        f"use {' or '.join(options)}"
    )
