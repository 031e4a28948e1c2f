"""Code systems and codes the synthetic cohort writes (docs/clinical-rules.md, "Inputs").

Kept apart from the engine's own code lists on purpose: the cohort is an independent statement
of the contract, so a wrong code in the engine's data file makes a cross-check test fail instead
of agreeing with itself.
"""

from __future__ import annotations

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD9CM = "http://hl7.org/fhir/sid/icd-9-cm"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
UCUM = "http://unitsofmeasure.org"
MSOBS = "http://example.org/fhir/ms-monitor/CodeSystem/ms-observation"

CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
SYNTHETIC_TAG_SYSTEM = "http://example.org/fhir/ms-monitor/CodeSystem/synthetic"
SYNTHETIC_TAG_CODE = "ms-monitor-synthetic-cohort"

# (system, code, display) of an MS diagnosis.
MS_SNOMED = (SNOMED, "24700007", "Multiple sclerosis")
RRMS_SNOMED = (SNOMED, "426373005", "Relapsing remitting multiple sclerosis")
SPMS_SNOMED = (SNOMED, "425500002", "Secondary progressive multiple sclerosis")
PPMS_SNOMED = (SNOMED, "428700003", "Primary progressive multiple sclerosis")
MS_ICD10 = (ICD10CM, "G35", "Multiple sclerosis")
RRMS_ICD10 = (ICD10CM, "G35.A", "Relapsing-remitting multiple sclerosis")
MS_ICD9 = (ICD9CM, "340", "Multiple sclerosis")
MS_WHO_ICD10 = ("http://hl7.org/fhir/sid/icd-10", "G35", "Multiple sclerosis")
CPT = "http://www.ama-assn.org/go/cpt"
BRAIN_MRI_CPT = (CPT, "70553", "MRI brain without and with contrast")
HEAD_SITE = (SNOMED, "69536005", "Head structure")
RADIOLOGY = ("http://terminology.hl7.org/CodeSystem/v2-0074", "RAD", "Radiology")
NMOSD_SNOMED = (SNOMED, "25044007", "Neuromyelitis optica")

RELAPSE_SNOMED = (SNOMED, "192929006", "Exacerbation of multiple sclerosis")
EDSS_SNOMED = (SNOMED, "273554001", "Kurtzke Expanded Disability Status Scale")
EDSS_MSOBS = (MSOBS, "edss", "EDSS")
NEW_T2 = (MSOBS, "new-t2-lesions", "New or enlarging T2 lesions")
GD_LESIONS = (MSOBS, "gd-lesions", "Gadolinium-enhancing lesions")
JCV_ANTIBODY = (MSOBS, "jcv-antibody", "JCV antibody")
JCV_POSITIVE = (SNOMED, "10828004", "Positive")
JCV_NEGATIVE = (SNOMED, "260385009", "Negative")
MFIS = (MSOBS, "mfis", "Modified Fatigue Impact Scale")
SDMT = (MSOBS, "sdmt", "Symbol Digit Modalities Test")

MR_MODALITY = (DICOM, "MR", "Magnetic Resonance")
BRAIN_MRI_LOINC = (LOINC, "24590-2", "MR Brain WO contrast")
BRAIN_MRI_CONTRAST_LOINC = (LOINC, "24587-8", "MR Brain WO and W contrast")
SPINE_MRI_LOINC = (LOINC, "24935-9", "MR Cervical spine")
BRAIN_SITE = (SNOMED, "12738006", "Brain structure")
KNEE_SITE = (SNOMED, "72696002", "Knee region structure")

# RxNorm ingredient codes (docs/clinical-rules.md, DMT row), keyed by the name the report uses.
DMT_RXNORM: dict[str, str] = {
    "interferon beta-1a": "75917",
    "interferon beta-1b": "72257",
    "peginterferon beta-1a": "1546168",
    "glatiramer": "214582",
    "natalizumab": "354770",
    "ocrelizumab": "1876366",
    "ofatumumab": "712566",
    "rituximab": "121191",
    "alemtuzumab": "117055",
    "fingolimod": "1012892",
    "siponimod": "2121085",
    "ozanimod": "2288236",
    "ponesimod": "2532300",
    "dimethyl fumarate": "1373478",
    "diroximel fumarate": "2261783",
    "teriflunomide": "1310520",
    "cladribine": "44157",
    "mitoxantrone": "7005",
}
