"""HAPI FHIR itself: the proxy forwards everything as it always did (no emulation)."""

from __future__ import annotations

from launch.sandbox.ehr.profile import EhrProfile, Refusal

PROFILE = EhrProfile(
    name="hapi",
    title="HAPI FHIR",
    software="HAPI FHIR JPA server",
    types={},
    unknown_type=Refusal(404, "fhir", "unknown resource type"),
    unsupported_write=Refusal(405, "fhir", "not supported"),
    batch="all",
    batch_refusal=None,
    paging="hapi",
    default_count=20,
    total="exact",
    facts=("everything HAPI answers, as HAPI answers it",),
)
