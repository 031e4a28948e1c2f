"""Code lists that recognise MS data in FHIR resources (clinical-rules.md, "Inputs").

The lists live in one data file, ``data/terminology.json``, so that a later step can generate it
from the FHIR ValueSets in ``fhir_profiles/``. Codes are held as ``(system, code)`` pairs in
frozensets: the extractor only ever asks "is this coding in the list?", which must be cheap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

DEFAULT_CANONICAL_BASE = "http://example.org/fhir/ms-monitor"

Coding = tuple[str, str]


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

    def dmt_by_rxnorm(self, code: str) -> DmtIngredient | None:
        """The DMT whose RxNorm ingredient code is ``code``."""
        for ingredient in self.dmt:
            if ingredient.rxnorm == code:
                return ingredient
        return None

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


def _codings(raw: list[dict[str, Any]], systems: dict[str, str]) -> frozenset[Coding]:
    return frozenset((systems[item["system"]], str(item["code"])) for item in raw)


def parse_terminology(
    raw: dict[str, Any], *, canonical_base: str = DEFAULT_CANONICAL_BASE
) -> Terminology:
    """Build a :class:`Terminology` from the JSON structure of ``data/terminology.json``."""
    base = canonical_base.rstrip("/")
    msobs = f"{base}/CodeSystem/ms-observation"
    systems = {**raw["systems"], "msobs": msobs}

    def codes(key: str) -> frozenset[Coding]:
        return _codings(raw[key], systems)

    dmt = tuple(
        DmtIngredient(
            rxnorm=str(item["rxnorm"]),
            name=str(item["name"]),
            first_line=bool(item["first_line"]),
            text=tuple(str(t).lower() for t in item["text"]),
        )
        for item in raw["dmt"]
    )
    return Terminology(
        canonical_base=base,
        ms_observation_system=msobs,
        ms_diagnosis=codes("ms_diagnosis"),
        relapse=codes("relapse"),
        edss=codes("edss"),
        mri_modality=codes("mri_modality"),
        brain_mri_procedure=codes("brain_mri_procedure"),
        brain_body_site=codes("brain_body_site"),
        spinal_mri_procedure=codes("spinal_mri_procedure"),
        new_t2_lesions=codes("new_t2_lesions"),
        gd_lesions=codes("gd_lesions"),
        jcv_antibody=codes("jcv_antibody"),
        jcv_positive=codes("jcv_positive"),
        jcv_negative=codes("jcv_negative"),
        mfis=codes("mfis"),
        sdmt=codes("sdmt"),
        dmt=dmt,
        rxnorm_system=systems["rxnorm"],
    )


@lru_cache(maxsize=8)
def load_terminology(canonical_base: str = DEFAULT_CANONICAL_BASE) -> Terminology:
    """The packaged code lists (read once per canonical base: package data, not user I/O)."""
    text = resources.files("smart_app.domain").joinpath("data/terminology.json").read_text("utf-8")
    return parse_terminology(json.loads(text), canonical_base=canonical_base)


def default_terminology() -> Terminology:
    """The packaged code lists with the default canonical base."""
    return load_terminology(DEFAULT_CANONICAL_BASE)
