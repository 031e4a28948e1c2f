"""Defensive accessors for JSON-parsed FHIR resources.

The extractor reads plain dicts (no model validation in the hot path). Every accessor checks the
type of what it finds, so that truncated or garbage input yields "absent" instead of an exception.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from smart_app.domain.dates import DateRange, parse_fhir_date
from smart_app.domain.terminology import Coding

JsonDict = dict[str, Any]


def as_resource(obj: object) -> JsonDict | None:
    """A resource as a dict: plain dicts as they are, fhir.resources models dumped to JSON."""
    if isinstance(obj, dict):
        return obj
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        try:
            dumped = dump(mode="json", exclude_none=True, by_alias=True)
        except Exception:  # a half-built model: treated as invalid, never raised
            return None
        return dumped if isinstance(dumped, dict) else None
    return None


def get_dict(obj: JsonDict, key: str) -> JsonDict | None:
    value = obj.get(key)
    return value if isinstance(value, dict) else None


def get_list(obj: JsonDict, key: str) -> list[Any]:
    value = obj.get(key)
    return value if isinstance(value, list) else []


def get_str(obj: JsonDict, key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def codings(concept: object) -> Iterator[Coding]:
    """(system, code) pairs of a CodeableConcept (or of a bare Coding)."""
    if not isinstance(concept, dict):
        return
    if "coding" in concept:
        for coding in get_list(concept, "coding"):
            if isinstance(coding, dict):
                system, code = coding.get("system"), coding.get("code")
                if isinstance(system, str) and isinstance(code, str):
                    yield system, code
    else:
        system, code = concept.get("system"), concept.get("code")
        if isinstance(system, str) and isinstance(code, str):
            yield system, code


def concept_in(concept: object, codes: frozenset[Coding]) -> bool:
    """True when any coding of ``concept`` is in ``codes`` (the hot path of extraction)."""
    if isinstance(concept, dict):
        coding_list = concept.get("coding")
        if isinstance(coding_list, list):
            for coding in coding_list:
                if isinstance(coding, dict) and (coding.get("system"), coding.get("code")) in codes:
                    return True
            return False
        if "coding" not in concept:  # a bare Coding (ImagingStudy.modality)
            system, code = concept.get("system"), concept.get("code")
            return isinstance(system, str) and isinstance(code, str) and (system, code) in codes
    return any(pair in codes for pair in codings(concept))


def concept_texts(concept: object) -> list[str]:
    """The text and coding displays of a CodeableConcept (for matching by name)."""
    if not isinstance(concept, dict):
        return []
    texts = [concept["text"]] if isinstance(concept.get("text"), str) else []
    for coding in get_list(concept, "coding"):
        if isinstance(coding, dict) and isinstance(coding.get("display"), str):
            texts.append(coding["display"])
    return texts


def status_code(concept: object) -> str | None:
    """The code of a status CodeableConcept (Condition.verificationStatus)."""
    coding_list = concept.get("coding") if isinstance(concept, dict) else None
    if isinstance(coding_list, list):  # the usual shape, without a generator
        for coding in coding_list:
            if isinstance(coding, dict):
                system, code = coding.get("system"), coding.get("code")
                if isinstance(system, str) and isinstance(code, str):
                    return code
        return None
    for _system, code in codings(concept):
        return code
    return None


def reference(obj: JsonDict, key: str) -> str | None:
    """``obj[key].reference`` when it is a string."""
    ref = get_dict(obj, key)
    if ref is None:
        return None
    value = ref.get("reference")
    return value if isinstance(value, str) else None


def date_of(obj: JsonDict, *keys: str) -> DateRange | None:
    """The first of ``keys`` that holds a date; ``xPeriod`` keys give the period start."""
    for key in keys:
        value = obj.get(key)
        if value is None:
            continue
        if key.endswith("Period"):
            if isinstance(value, dict):
                start = parse_fhir_date(value.get("start"))
                if start is not None:
                    return start
            continue
        parsed = parse_fhir_date(value)
        if parsed is not None:
            return parsed
    return None


def number(value: object) -> float | None:
    """A JSON number that is not a bool (True is an int in Python)."""
    if type(value) is float:  # the usual case, exactly a float
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


DIMENSIONLESS_UNITS = frozenset(
    {
        "",
        "1",
        "{score}",
        "{#}",
        "{count}",
        "{lesions}",
        "{points}",
        "score",
        "points",
        "count",
        "lesions",
        "lesion",
        "n",
    }
)


UCUM = "http://unitsofmeasure.org"
#: UCUM codes of a dimensionless score or count (docs/clinical-rules.md, "Inputs": EDSS).
DIMENSIONLESS_CODES = frozenset({"1", "{score}", "{#}", "{count}", "{lesions}", "{points}"})


def numeric_value(obs: JsonDict) -> tuple[float | None, str | None]:
    """(value, unit problem) of valueQuantity / valueInteger; the unit must be dimensionless.

    A coded Quantity is judged by its ``code`` alone (UCUM ``1``, ``{score}``...), never by the
    human-readable ``unit`` text beside it. Only a Quantity with no code is judged by its text,
    since that is all it says (a score in "mg" is refused).
    """
    if "valueInteger" in obs:
        return number(obs["valueInteger"]), None
    quantity = obs.get("valueQuantity")
    if not isinstance(quantity, dict):
        return None, None
    code = quantity.get("code")
    stripped = code.strip() if isinstance(code, str) else ""
    if stripped:
        if stripped not in DIMENSIONLESS_CODES and stripped.lower() not in DIMENSIONLESS_UNITS:
            return None, code
        return number(quantity.get("value")), None
    unit = quantity.get("unit")
    if isinstance(unit, str) and unit.strip().lower() not in DIMENSIONLESS_UNITS:
        return None, unit
    return number(quantity.get("value")), None
