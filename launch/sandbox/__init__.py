"""A local SMART on FHIR EHR sandbox: Authlib authorization server + scope-checking HAPI proxy.

``create_sandbox_app(...)`` builds it; ``ms-monitor sandbox`` runs it. See ``README.md``.
"""

from launch.sandbox.app import create_sandbox_app

__all__ = ["create_sandbox_app"]
