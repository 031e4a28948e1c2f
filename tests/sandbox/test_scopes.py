"""SMART scope parsing and decisions, v1 and v2."""

from __future__ import annotations

import pytest

from launch.sandbox.scopes import allowed_by, decide, parse_scope, remove_denied, same_scope


@pytest.mark.parametrize(
    ("scope", "permissions"),
    [
        ("patient/Observation.read", "rs"),
        ("patient/*.write", "cud"),
        ("user/*.*", "cruds"),
        ("system/Patient.rs", "rs"),
        ("patient/CarePlan.cruds", "cruds"),
        ("patient/Task.cu", "cu"),
    ],
)
def test_parse(scope: str, permissions: str) -> None:
    parsed = parse_scope(scope)
    assert parsed is not None
    assert parsed.permissions == frozenset(permissions)


@pytest.mark.parametrize(
    "scope",
    [
        "openid",
        "launch/patient",
        "patient/Observation.sr",
        "patient/Observation.rr",
        "patient/Observation.x",
        "foo/X.r",
    ],
)
def test_not_resource_scopes(scope: str) -> None:
    assert parse_scope(scope) is None


def test_granular_scopes_grant_nothing() -> None:
    assert not decide(["patient/Observation.rs?category=vital-signs"], "Observation", "s").allowed


def test_decide_contexts() -> None:
    assert decide(["patient/*.read"], "Observation", "r").patient_only
    assert not decide(["patient/*.read", "user/Observation.rs"], "Observation", "r").patient_only
    assert not decide(["patient/Observation.rs"], "Observation", "c").allowed
    assert decide(["patient/Observation.c"], "Observation", "c").allowed


def test_v1_and_v2_spellings_are_the_same_denial() -> None:
    assert same_scope("patient/CarePlan.write", "patient/CarePlan.cud")
    assert not same_scope("patient/CarePlan.write", "patient/CarePlan.cu")
    assert remove_denied(["a", "patient/Task.cud"], ["patient/Task.write"]) == ["a"]


def test_client_registration_covers_narrower_scopes() -> None:
    assert allowed_by(["patient/*.cruds"], "patient/Observation.rs")
    assert not allowed_by(["patient/*.read"], "patient/Observation.c")
    assert not allowed_by(["system/*.read"], "patient/Observation.r")
    assert allowed_by(["openid"], "openid")
