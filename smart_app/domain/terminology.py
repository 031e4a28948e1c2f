"""Code lists that recognise MS data in FHIR resources (docs/clinical-rules.md, "Inputs").

One source of truth: the lists are read from the FHIR ValueSets and CodeSystems published in
``fhir_profiles/resources/`` (the same files an EHR loads to validate what the app reads and
writes), never copied into Python. Only enumerated ``compose.include.concept`` lists are used: the
engine runs offline and cannot expand filters. Codes are held as ``(system, code)`` pairs in
frozensets: the extractor only ever asks "is this coding in the list?", which must be cheap.

The files are package data: in a wheel they are force-included as ``smart_app/fhir_profiles``; in
a source checkout (editable install) they are found next to the package, in the repository.
Reading them once per canonical base is not user I/O; the engine stays pure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

DEFAULT_CANONICAL_BASE = "http://example.org/fhir/ms-monitor"
RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"

Coding = tuple[str, str]
JsonDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class DmtIngredient:
    """A disease-modifying therapy, recognised by RxNorm ingredient code or by name/brand."""

    rxnorm: str
    name: str
    first_line: bool
    text: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Terminology:
    """Every code list of the contract, resolved to full system URIs."""

    canonical_base: str
    ms_observation_system: str
    ms_diagnosis: frozenset[Coding]
    relapse: frozenset[Coding]
    edss: frozenset[Coding]
    mri_modality: frozenset[Coding]
    brain_mri_procedure: frozenset[Coding]
    brain_body_site: frozenset[Coding]
    spinal_mri_procedure: frozenset[Coding]
    new_t2_lesions: frozenset[Coding]
    gd_lesions: frozenset[Coding]
    jcv_antibody: frozenset[Coding]
    jcv_positive: frozenset[Coding]
    jcv_negative: frozenset[Coding]
    mfis: frozenset[Coding]
    sdmt: frozenset[Coding]
    dmt: tuple[DmtIngredient, ...]
    rxnorm_system: str
    #: (code, display) of CodeSystem ms-monitoring-action, in the CodeSystem's order
    monitoring_actions: tuple[tuple[str, str], ...] = ()
    #: MS diagnosis codes of a progressive course (SPMS, PPMS): never benign
    progressive: frozenset[Coding] = frozenset()
    #: the site codes merged in by :meth:`with_site_codes` (concept -> codes), for the record
    site_codes: tuple[tuple[str, frozenset[Coding]], ...] = ()
    #: (system, code) -> the kind of Observation it names ("edss", "jcv", "mfis", "sdmt",
    #: "gd-lesions", "new-t2-lesions"), derived from the lists above when the terminology is built:
    #: the extractor asks it once per coding of every Observation
    observation_kinds: Mapping[Coding, str] = field(init=False, repr=False, compare=False)
    #: RxNorm ingredient code -> DMT (the first listed wins), derived like ``observation_kinds``
    dmt_by_code: Mapping[str, DmtIngredient] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kinds: dict[Coding, str] = {}
        for kind, codes in (
            ("sdmt", self.sdmt),
            ("mfis", self.mfis),
            ("jcv", self.jcv_antibody),
            ("gd-lesions", self.gd_lesions),
            ("new-t2-lesions", self.new_t2_lesions),
            ("edss", self.edss),  # last: an EDSS code wins over a site code listed twice
        ):
            kinds.update(dict.fromkeys(codes, kind))
        object.__setattr__(self, "observation_kinds", kinds)  # frozen: set once, here
        by_code: dict[str, DmtIngredient] = {}
        for ingredient in self.dmt:
            by_code.setdefault(ingredient.rxnorm, ingredient)
        object.__setattr__(self, "dmt_by_code", by_code)

    def with_site_codes(self, site_codes: Mapping[str, frozenset[Coding]]) -> Terminology:
        """This terminology plus a site's own codes (docs/clinical-rules.md, "Site codes").

        ``site_codes`` maps a concept of :data:`SITE_CODE_FIELDS` to ``(system, code)`` pairs,
        as :func:`parse_site_codes` returns them. The engine is unchanged: the codes are data.
        """
        if not site_codes:
            return self
        added = {
            SITE_CODE_FIELDS[concept]: getattr(self, SITE_CODE_FIELDS[concept]) | codes
            for concept, codes in site_codes.items()
        }
        merged = tuple(sorted((c, frozenset(v)) for c, v in site_codes.items()))
        return replace(self, **added, site_codes=merged)

    def dmt_by_rxnorm(self, code: str) -> DmtIngredient | None:
        """The DMT whose RxNorm ingredient code is ``code``."""
        return self.dmt_by_code.get(code)

    def dmt_by_text(self, text: str) -> DmtIngredient | None:
        """The DMT named in free text (longest name wins: peginterferon over interferon)."""
        lowered = text.lower()
        best: tuple[int, DmtIngredient] | None = None
        for ingredient in self.dmt:
            for name in ingredient.text:
                if name in lowered and (best is None or len(name) > best[0]):
                    best = (len(name), ingredient)
        return best[1] if best else None

    @property
    def first_line_dmt_names(self) -> tuple[str, ...]:
        """First-line DMTs a benign patient with activity may be offered (interferon beta, GA)."""
        return tuple(d.name for d in self.dmt if d.first_line)


#: Terminology field -> id of the ValueSet in fhir_profiles/resources that holds its codes.
VALUE_SET_FIELDS = {
    "ms_diagnosis": "ms-diagnosis",
    "relapse": "ms-relapse",
    "edss": "edss-code",
    "mri_modality": "mri-modality",
    "brain_mri_procedure": "brain-mri-procedure",
    "brain_body_site": "brain-body-site",
    "spinal_mri_procedure": "spinal-mri-procedure",
    "jcv_positive": "jcv-positive",
    "jcv_negative": "jcv-negative",
}
#: Concept of a site-codes file -> the Terminology field its codes extend.
SITE_CODE_FIELDS = {
    "edss": "edss",
    "new-t2-lesions": "new_t2_lesions",
    "gd-lesions": "gd_lesions",
    "brain-mri": "brain_mri_procedure",
    "spinal-mri": "spinal_mri_procedure",
    "jcv-antibody": "jcv_antibody",
    "mfis": "mfis",
    "sdmt": "sdmt",
}
PROGRESSIVE_VALUE_SET = "ms-progressive-phenotype"


def parse_site_codes(document: object) -> dict[str, frozenset[Coding]]:
    """A site-codes JSON object (concept -> ``["system|code", ...]``) as code sets.

    Raises ValueError naming the first problem: a site's configuration is checked when it is
    loaded, never half-applied.
    """
    if not isinstance(document, dict):
        raise ValueError("site codes must be a JSON object: concept -> list of 'system|code'")
    parsed: dict[str, frozenset[Coding]] = {}
    for concept, entries in document.items():
        if concept not in SITE_CODE_FIELDS:
            known = ", ".join(SITE_CODE_FIELDS)
            raise ValueError(f"site codes: unknown concept {concept!r} (known: {known})")
        if not isinstance(entries, list):
            raise ValueError(f"site codes: {concept} must be a list of 'system|code' strings")
        pairs: set[Coding] = set()
        for entry in entries:
            system, bar, code = entry.rpartition("|") if isinstance(entry, str) else ("", "", "")
            if not bar or not system or not code:
                raise ValueError(f"site codes: {concept}: {entry!r} is not 'system|code'")
            pairs.add((system, code))
        parsed[concept] = frozenset(pairs)
    return parsed


#: Terminology field -> code of CodeSystem ms-observation.
MS_OBSERVATION_FIELDS = {
    "new_t2_lesions": "new-t2-lesions",
    "gd_lesions": "gd-lesions",
    "jcv_antibody": "jcv-antibody",
    "mfis": "mfis",
    "sdmt": "sdmt",
}
DMT_VALUE_SET = "dmt-ingredient"
FIRST_LINE_DMT_VALUE_SET = "first-line-dmt"
MS_OBSERVATION_CODE_SYSTEM = "ms-observation"
MONITORING_ACTION_CODE_SYSTEM = "ms-monitoring-action"


def profiles_dir() -> Traversable:
    """``fhir_profiles/``: packaged in the wheel as ``smart_app/fhir_profiles``, else the repo's."""
    packaged = resources.files("smart_app") / "fhir_profiles"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "fhir_profiles"


def read_conformance(resource_type: str, resource_id: str) -> JsonDict:
    """One conformance resource of ``fhir_profiles/resources`` (``{type}-{id}.json``)."""
    path = profiles_dir() / "resources" / f"{resource_type}-{resource_id}.json"
    data: JsonDict = json.loads(path.read_text("utf-8"))
    return data


def _rebase(system: str, canonical_base: str) -> str:
    """Systems of the project's own CodeSystems follow the configured canonical base."""
    if system.startswith(DEFAULT_CANONICAL_BASE + "/"):
        return canonical_base + system[len(DEFAULT_CANONICAL_BASE) :]
    return system


def enumerated_concepts(value_set: JsonDict) -> list[tuple[str, JsonDict]]:
    """(system, concept) of every enumerated concept of ``compose.include``.

    Raises ValueError for a ValueSet the offline engine cannot enumerate (filters, imports,
    excludes): packaged data is fixed, so that is a build error, not patient data.
    """
    compose = value_set.get("compose") or {}
    if compose.get("exclude"):
        raise ValueError(f"ValueSet {value_set.get('id')}: exclude is not supported")
    found: list[tuple[str, JsonDict]] = []
    for include in compose.get("include", []):
        if "filter" in include or "valueSet" in include or "concept" not in include:
            raise ValueError(f"ValueSet {value_set.get('id')}: only enumerated concepts")
        found.extend((str(include["system"]), concept) for concept in include["concept"])
    return found


def parse_terminology(
    read: Callable[[str, str], Mapping[str, Any]],
    *,
    canonical_base: str = DEFAULT_CANONICAL_BASE,
) -> Terminology:
    """Build a :class:`Terminology` from the conformance resources ``read(type, id)`` returns."""
    base = canonical_base.rstrip("/")

    def value_set_codes(vs_id: str) -> frozenset[Coding]:
        concepts = enumerated_concepts(dict(read("ValueSet", vs_id)))
        return frozenset((_rebase(system, base), str(c["code"])) for system, c in concepts)

    msobs_cs = read("CodeSystem", MS_OBSERVATION_CODE_SYSTEM)
    msobs = _rebase(str(msobs_cs["url"]), base)
    msobs_codes = {str(c["code"]) for c in msobs_cs["concept"]}

    def msobs_code(code: str) -> frozenset[Coding]:
        if code not in msobs_codes:
            raise ValueError(f"CodeSystem ms-observation has no code {code!r}")
        return frozenset({(msobs, code)})

    first_line = {
        str(c["code"])
        for _s, c in enumerated_concepts(dict(read("ValueSet", FIRST_LINE_DMT_VALUE_SET)))
    }
    dmt = tuple(
        DmtIngredient(
            rxnorm=str(c["code"]),
            name=str(c["display"]),
            first_line=str(c["code"]) in first_line,
            text=tuple(
                str(name).lower()
                for name in (c["display"], *(d["value"] for d in c.get("designation", [])))
            ),
        )
        for system, c in enumerated_concepts(dict(read("ValueSet", DMT_VALUE_SET)))
        if system == RXNORM_SYSTEM
    )
    actions = read("CodeSystem", MONITORING_ACTION_CODE_SYSTEM)["concept"]
    return Terminology(
        canonical_base=base,
        ms_observation_system=msobs,
        ms_diagnosis=value_set_codes(VALUE_SET_FIELDS["ms_diagnosis"]),
        relapse=value_set_codes(VALUE_SET_FIELDS["relapse"]),
        edss=value_set_codes(VALUE_SET_FIELDS["edss"]),
        mri_modality=value_set_codes(VALUE_SET_FIELDS["mri_modality"]),
        brain_mri_procedure=value_set_codes(VALUE_SET_FIELDS["brain_mri_procedure"]),
        brain_body_site=value_set_codes(VALUE_SET_FIELDS["brain_body_site"]),
        spinal_mri_procedure=value_set_codes(VALUE_SET_FIELDS["spinal_mri_procedure"]),
        new_t2_lesions=msobs_code(MS_OBSERVATION_FIELDS["new_t2_lesions"]),
        gd_lesions=msobs_code(MS_OBSERVATION_FIELDS["gd_lesions"]),
        jcv_antibody=msobs_code(MS_OBSERVATION_FIELDS["jcv_antibody"]),
        jcv_positive=value_set_codes(VALUE_SET_FIELDS["jcv_positive"]),
        jcv_negative=value_set_codes(VALUE_SET_FIELDS["jcv_negative"]),
        mfis=msobs_code(MS_OBSERVATION_FIELDS["mfis"]),
        sdmt=msobs_code(MS_OBSERVATION_FIELDS["sdmt"]),
        dmt=dmt,
        rxnorm_system=RXNORM_SYSTEM,
        monitoring_actions=tuple((str(c["code"]), str(c["display"])) for c in actions),
        progressive=value_set_codes(PROGRESSIVE_VALUE_SET),
    )


@lru_cache(maxsize=8)
def load_terminology(canonical_base: str = DEFAULT_CANONICAL_BASE) -> Terminology:
    """The packaged code lists (read once per canonical base: package data, not user I/O)."""
    return parse_terminology(read_conformance, canonical_base=canonical_base)


def default_terminology() -> Terminology:
    """The packaged code lists with the default canonical base."""
    return load_terminology(DEFAULT_CANONICAL_BASE)
