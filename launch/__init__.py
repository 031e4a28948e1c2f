"""Local launch tooling: the HAPI FHIR test server (``launch/hapi``) and the SMART EHR sandbox."""
