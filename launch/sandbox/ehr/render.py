"""How an emulated EHR writes its answers: FHIR JSON, FHIR XML, HTML error pages.

The XML is the FHIR XML form of a JSON resource (https://hl7.org/fhir/R4/xml.html): elements in
the FHIR namespace, primitives as ``value`` attributes, resources wrapped in an element named
after their type. Enough for a client to see that it got XML; nothing reads it back.
"""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from flask import Response

from launch.sandbox.ehr.profile import Refusal

FHIR_JSON = "application/fhir+json"
FHIR_XML = "application/fhir+xml"
FHIR_NS = "http://hl7.org/fhir"


def outcome(message: str, code: str, severity: str = "error", vendor: str | None = None) -> Any:
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": message}
    if vendor:
        issue["details"] = {"coding": [{"code": vendor}], "text": message}
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def refusal_response(refusal: Refusal, detail: str = "") -> Response:
    message = f"{refusal.message} {detail}".strip()
    if refusal.kind == "html":
        page = (
            "<!DOCTYPE html><html><head><title>404 - Not Found</title></head><body>"
            f"<h1>{escape(refusal.message)}</h1></body></html>"
        )
        return Response(page, status=refusal.status, content_type="text/html; charset=utf-8")
    if refusal.kind == "json":
        body = {"error": refusal.code, "error_description": message}
        return Response(json.dumps(body), status=refusal.status, content_type="application/json")
    body = outcome(message, refusal.code, vendor=refusal.vendor_code)
    return Response(json.dumps(body), status=refusal.status, content_type=FHIR_JSON)


def to_xml(resource: dict[str, Any]) -> str:
    rtype = str(resource.get("resourceType", "Resource"))
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{_resource(rtype, resource, root=True)}'


def _resource(rtype: str, resource: dict[str, Any], *, root: bool = False) -> str:
    ns = f' xmlns="{FHIR_NS}"' if root else ""
    inner = "".join(_element(k, v) for k, v in resource.items() if k != "resourceType")
    return f"<{rtype}{ns}>{inner}</{rtype}>"


def _element(name: str, value: Any) -> str:
    if name.startswith("_"):
        return ""
    if isinstance(value, list):
        return "".join(_element(name, item) for item in value)
    if isinstance(value, dict):
        if "resourceType" in value:
            return f"<{name}>{_resource(str(value['resourceType']), value)}</{name}>"
        inner = "".join(_element(k, v) for k, v in value.items())
        return f"<{name}>{inner}</{name}>"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name} value={quoteattr(str(value))}/>"
