"""Fake SMART EHRs for the web tests: authorization servers and FHIR servers on ``responses``.

Synthetic data only (smart_app.synthetic). The FHIR fake answers batch Bundles from the cohort,
applies transactions like a server (urn:uuid references resolved, ids and versions assigned) and
records every Authorization header, so tests can check which token reached which server.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import responses
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from requests import PreparedRequest

from smart_app.synthetic import SyntheticPatient

Answer = tuple[int, dict[str, str], str]
REDIRECT = "http://localhost/callback"
CLIENT_ID = "ms-monitor"
SIGNING_KEY = RSAKey.generate_key(2048, parameters={"kid": "web-test-1", "use": "sig"})
PLAN_TYPES = ("CarePlan", "Task")


def outcome(text: str, code: str = "processing") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }


def capability_statement(
    *, writable: bool = True, oauth: dict[str, str] | None = None
) -> dict[str, Any]:
    interactions = [{"code": "read"}, {"code": "search-type"}]
    if writable:
        interactions += [{"code": "create"}, {"code": "update"}]
    rest: dict[str, Any] = {
        "mode": "server",
        "interaction": [{"code": "batch"}, {"code": "transaction"}],
        "resource": [{"type": t, "interaction": interactions} for t in PLAN_TYPES],
    }
    if oauth:
        rest["security"] = {
            "extension": [
                {
                    "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                    "extension": [{"url": k, "valueUri": v} for k, v in oauth.items()],
                }
            ]
        }
    return {"resourceType": "CapabilityStatement", "status": "active", "rest": [rest]}


def form(body: str | bytes | None) -> dict[str, str]:
    text = body.decode() if isinstance(body, bytes) else (body or "")
    pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    assert len(dict(pairs)) == len(pairs), "repeated parameter"
    return dict(pairs)


def query(url: str) -> dict[str, str]:
    return form(urlsplit(url).query)


@dataclass
class FakeFhir:
    """A FHIR server with the cohort's resources; our plan is kept as written."""

    base: str
    patients: list[SyntheticPatient]
    batch_status: int | None = None  # e.g. 405: refuse batch
    transaction_status: int | None = None  # e.g. 403: refuse writes
    plan_search_status: int | None = None  # e.g. 403 on CarePlan/Task searches
    writable: bool = True
    queued: list[Answer] = field(default_factory=list)  # canned answers for the next requests
    authorizations: list[str | None] = field(default_factory=list)
    transactions: list[dict[str, Any]] = field(default_factory=list)
    #: the EHR hosts its clinicians: the id_token's fhirUser resolves here
    stored: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "Practitioner/dr-neuro": {"resourceType": "Practitioner", "id": "dr-neuro"}
        }
    )
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def install(self, rsps: responses.RequestsMock, *, oauth: dict[str, str] | None = None) -> None:
        rsps.add_callback(
            responses.GET,
            f"{self.base}/metadata",
            callback=lambda _: (
                200,
                {},
                json.dumps(capability_statement(writable=self.writable, oauth=oauth)),
            ),
        )
        rsps.add_callback(responses.POST, self.base, callback=self._post)
        rsps.add_callback(
            responses.GET,
            re.compile(re.escape(self.base) + r"/[A-Z][A-Za-z]+(/|\?).*"),
            callback=self._get,
        )

    # -- request handling ----------------------------------------------------------------------
    def _post(self, request: PreparedRequest) -> Answer:
        self.authorizations.append(request.headers.get("Authorization"))
        if self.queued:
            return self.queued.pop(0)
        bundle = json.loads(request.body or b"{}")
        if bundle.get("type") == "batch":
            if self.batch_status:
                return self.batch_status, {}, json.dumps(outcome("batch is not supported"))
            entries = [self._answer_entry(e["request"]["url"]) for e in bundle["entry"]]
            return (
                200,
                {},
                json.dumps({"resourceType": "Bundle", "type": "batch-response", "entry": entries}),
            )
        if self.transaction_status:
            return (
                self.transaction_status,
                {},
                json.dumps(outcome("You may not write CarePlan or Task", "forbidden")),
            )
        self.transactions.append(bundle)
        return 200, {}, json.dumps(self._apply(bundle))

    def _get(self, request: PreparedRequest) -> Answer:
        self.authorizations.append(request.headers.get("Authorization"))
        if self.queued:
            return self.queued.pop(0)
        url = str(request.url)[len(self.base) + 1 :]
        entry = self._answer_entry(url)
        status = int(entry["response"]["status"].split()[0])
        return status, {}, json.dumps(entry.get("resource") or entry["response"].get("outcome"))

    def _answer_entry(self, url: str) -> dict[str, Any]:
        path, _, raw_query = url.partition("?")
        params = dict(parse_qsl(raw_query))
        if not raw_query:
            rtype, _, rid = path.partition("/")
            for resource in self._all():
                if resource["resourceType"] == rtype and resource.get("id") == rid:
                    return {"resource": resource, "response": {"status": "200 OK"}}
            return {"response": {"status": "404 Not Found", "outcome": outcome("not found")}}
        if path in PLAN_TYPES and self.plan_search_status:
            return {
                "response": {
                    "status": f"{self.plan_search_status} Forbidden",
                    "outcome": outcome("scope does not allow this search", "forbidden"),
                }
            }
        patient_ref = f"Patient/{params.get('patient')}"
        found = [r for r in self._all() if r["resourceType"] == path and _subject(r) == patient_ref]
        bundle = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in found],
        }
        return {"resource": bundle, "response": {"status": "200 OK"}}

    def _all(self) -> list[dict[str, Any]]:
        resources = [r for p in self.patients for r in p.resources]
        return [*resources, *self.stored.values()]

    def _apply(self, bundle: dict[str, Any]) -> dict[str, Any]:
        """Assign ids to POSTs, resolve urn:uuid references, store with version ids."""
        mapping: dict[str, str] = {}
        for entry in bundle["entry"]:
            request = entry["request"]
            if request["method"] == "POST":
                mapping[entry["fullUrl"]] = f"{request['url']}/fake-{next(self._ids)}"
        answers = []
        for entry in bundle["entry"]:
            text = json.dumps(entry["resource"])
            for urn, ref in mapping.items():
                text = text.replace(urn, ref)
            resource = json.loads(text)
            request = entry["request"]
            ref = mapping.get(entry.get("fullUrl", "")) or request["url"]
            rid = ref.partition("/")[2]
            previous = self.stored.get(ref)
            version = int(previous["meta"]["versionId"]) + 1 if previous else 1
            resource.update(id=rid, meta={"versionId": str(version)})
            self.stored[ref] = resource
            answers.append(
                {
                    "response": {
                        "status": "201 Created" if version == 1 else "200 OK",
                        "location": f"{ref}/_history/{version}",
                    }
                }
            )
        return {"resourceType": "Bundle", "type": "transaction-response", "entry": answers}

    def written(self, resource_type: str) -> list[dict[str, Any]]:
        return [r for r in self.stored.values() if r["resourceType"] == resource_type]


def _subject(resource: dict[str, Any]) -> str | None:
    for key in ("subject", "for", "patient"):
        value = resource.get(key)
        if isinstance(value, dict) and isinstance(value.get("reference"), str):
            return str(value["reference"])
    return None


@dataclass
class FakeAuthServer:
    """A SMART authorization server: token endpoint, JWKS, id_tokens with fhirUser."""

    issuer: str
    fhir_base: str
    client_id: str = CLIENT_ID
    token_requests: list[dict[str, str]] = field(default_factory=list)
    token_headers: list[dict[str, str]] = field(default_factory=list)
    patient: str = "msm-001"
    scope: str = ""
    expires_in: int = 3600
    counter: Any = field(default_factory=lambda: itertools.count(1))
    nonces: dict[str, str] = field(default_factory=dict)
    on_token: Callable[[dict[str, str]], Answer | None] | None = None

    @property
    def authorize_endpoint(self) -> str:
        return f"{self.issuer}/authorize"

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"

    def install(self, rsps: responses.RequestsMock, *, well_known: bool, v2: bool) -> None:
        if well_known:
            capabilities = [
                "launch-ehr",
                "launch-standalone",
                "client-public",
                "client-confidential-symmetric",
                "context-ehr-patient",
                "sso-openid-connect",
            ] + (["permission-v2"] if v2 else [])
            rsps.get(
                f"{self.fhir_base}/.well-known/smart-configuration",
                json={
                    "issuer": self.issuer,
                    "jwks_uri": f"{self.issuer}/jwks",
                    "authorization_endpoint": self.authorize_endpoint,
                    "token_endpoint": self.token_endpoint,
                    "code_challenge_methods_supported": ["S256"],
                    "capabilities": capabilities,
                    "grant_types_supported": ["authorization_code", "refresh_token"],
                },
            )
        else:
            rsps.get(f"{self.fhir_base}/.well-known/smart-configuration", status=404)
            rsps.get(
                f"{self.issuer}/.well-known/openid-configuration",
                json={"issuer": self.issuer, "jwks_uri": f"{self.issuer}/jwks"},
            )
        rsps.get(f"{self.issuer}/jwks", json=KeySet([SIGNING_KEY]).as_dict())
        rsps.add_callback(responses.POST, self.token_endpoint, callback=self._token)

    def remember_nonce(self, authorize_url: str) -> None:
        args = query(authorize_url)
        if "nonce" in args:
            self.nonces[args["state"]] = args["nonce"]

    def _token(self, request: PreparedRequest) -> Answer:
        body = form(request.body)
        self.token_requests.append(body)
        self.token_headers.append(dict(request.headers))
        if self.on_token is not None:
            canned = self.on_token(body)
            if canned is not None:
                return canned
        n = next(self.counter)
        answer: dict[str, Any] = {
            "access_token": f"AT-{urlsplit(self.issuer).hostname}-{n}",
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": f"RT-{urlsplit(self.issuer).hostname}-{n}",
            "scope": self.scope,
        }
        if body.get("grant_type") == "authorization_code":
            answer["patient"] = self.patient
            answer["need_patient_banner"] = True
            nonce = next(iter(self.nonces.values()), None) if self.nonces else None
            answer["id_token"] = self.id_token(nonce)
            self.nonces.clear()
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    def id_token(self, nonce: str | None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": "dr-neuro",
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "fhirUser": f"{self.fhir_base}/Practitioner/dr-neuro",
        }
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode(
            {"alg": "RS256", "kid": "web-test-1"}, claims, SIGNING_KEY, algorithms=["RS256"]
        )

    def issued_tokens(self) -> list[str]:
        return [f"AT-{urlsplit(self.issuer).hostname}-{n}" for n in range(1, 20)] + [
            f"RT-{urlsplit(self.issuer).hostname}-{n}" for n in range(1, 20)
        ]
