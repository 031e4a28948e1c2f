"""Site configuration in the issuer registration, and the worked Epic / Oracle Health examples."""

from __future__ import annotations

from typing import Any

import pytest

from launch.sandbox.ehr import codes
from smart_app.auth.registry import ClientRegistration
from smart_app.errors import ConfigurationError
from smart_app.site_config import US_CORE_CAREPLAN_ASSESS_PLAN, SiteConfiguration
from tests.ehr.ehr_helpers import example_entry


def test_epic_example_names_the_flowsheet_row_the_sandbox_emulates() -> None:
    registration = ClientRegistration.from_mapping(example_entry("epic.json"))
    site = registration.site
    assert site.codes_for("edss") == (f"{codes.EPIC_FLOWSHEET_ROW_SYSTEM}|{codes.EPIC_EDSS_ROW}",)
    assert site.observation_categories == ("functional-mental-status",)
    assert site.report_categories == ("http://terminology.hl7.org/CodeSystem/v2-0074|RAD",)
    assert site.careplan_category == US_CORE_CAREPLAN_ASSESS_PLAN
    assert site.site_codes() == {"edss": [f"{codes.EPIC_FLOWSHEET_ROW_SYSTEM}|3040101234"]}
    assert "MedicationStatement" not in registration.scopes
    assert "CarePlan.cu" not in registration.scopes


def test_oracle_example_keeps_assess_plan_and_reads_no_imaging_study() -> None:
    registration = ClientRegistration.from_mapping(example_entry("oracle-health.json"))
    assert registration.site.careplan_category.endswith("|assess-plan")
    assert registration.site.codes_for("edss")[0].split("|")[0].endswith("/codeSet/72")
    for absent in ("ImagingStudy", "Task", "MedicationStatement"):
        assert f"/{absent}." not in registration.scopes


def test_registration_without_site_has_the_us_core_defaults() -> None:
    registration = ClientRegistration.from_mapping(
        {"iss": "http://ehr.test/fhir/", "auth_method": "open"}
    )
    assert registration.site == SiteConfiguration()
    assert registration.site.site_codes() == {}
    assert registration.site.careplan_category == US_CORE_CAREPLAN_ASSESS_PLAN


@pytest.mark.parametrize(
    ("site", "complaint"),
    [
        ({"codes": {"edss-score": ["a|b"]}}, "unknown concept 'edss-score'"),
        ({"codes": {"edss": "urn:oid:1|2"}}, "expected a list"),
        ({"codes": {"edss": ["3040101234"]}}, "expected 'system|code'"),
        ({"codes": {"edss": ["urn:oid:1|"]}}, "expected 'system|code'"),
        ({"codes": {"edss": ["a|b,c|d"]}}, "expected 'system|code'"),
        ({"observation_categories": "exam"}, "observation_categories"),
        ({"report_categories": ["RAD"]}, "report_categories"),
        ({"careplan_category": "assess-plan"}, "careplan_category"),
        ({"edss": ["a|b"]}, "unknown keys"),
    ],
)
def test_bad_site_configuration_is_refused_with_its_key(
    site: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(
        ConfigurationError, match=r"Registration for http://ehr\.test/fhir: site"
    ) as error:
        ClientRegistration.from_mapping(
            {"iss": "http://ehr.test/fhir", "auth_method": "open", "site": site}
        )
    assert complaint in str(error.value)
