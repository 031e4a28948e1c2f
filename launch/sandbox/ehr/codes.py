"""Code systems the vendor tables name (one place; the tables and the reshaping share them)."""

from __future__ import annotations

LOINC = "http://loinc.org"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CAREPLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
CPT = "http://www.ama-assn.org/go/cpt"

#: Epic flowsheet rows (https://fhir.epic.com/Specifications?api=10001, Observation.Flowsheet).
EPIC_FLOWSHEET_ROW_SYSTEM = "urn:oid:1.2.840.114350.1.13.0.1.7.2.707679"
#: The EDSS flowsheet row the sandbox's Epic uses: an example site code (each site has its own).
EPIC_EDSS_ROW = "3040101234"
#: Identifier system Epic uses for its own records (an example OID under Epic's root).
EPIC_RECORD_ID_SYSTEM = "urn:oid:1.2.840.114350.1.13.0.1.7.2.768076"
#: A Millennium tenant-local code system (synonyms next to RxNorm on Oracle Health).
ORACLE_SYNONYM_SYSTEM = "https://fhir.cerner.com/ec2458f2-1e24-41c8-b71b-0e701af7583d/synonym"

RADIOLOGY_LOINC = (LOINC, "LP29684-5", "Radiology")
RADIOLOGY_RAD = (V2_0074, "RAD", "Radiology")
RADIOLOGY_IMAGING = (OBSERVATION_CATEGORY, "imaging", "Imaging")
