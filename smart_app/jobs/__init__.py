"""Unattended work: evaluate a patient on a FHIR server and write the plan back."""
