"""FHIR logical ids from outside the app, checked before they reach a Redis key or a search URL.

A webhook payload's ``subject.reference`` tail and a CDS Hooks ``context.patientId`` are chosen by
the caller; ``msm-001&patient=msm-002`` would add a search parameter and ``a:b`` would reach into
another Redis key. Only the FHIR ``id`` datatype is accepted
(https://hl7.org/fhir/R4/datatypes.html#id: ``[A-Za-z0-9\\-\\.]{1,64}``).
"""

from __future__ import annotations

import re

#: https://hl7.org/fhir/R4/datatypes.html#id
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def is_fhir_id(value: object) -> bool:
    """True when ``value`` is a string that is a whole FHIR id (nothing before or after)."""
    return isinstance(value, str) and FHIR_ID.fullmatch(value) is not None
