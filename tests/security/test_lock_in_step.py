"""The lock files are in step with pyproject.toml: every declared dependency is pinned (with
hashes) at a version its specifier allows, and the image's lock pins what CI tested."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_LOCK = ROOT / "requirements" / "runtime.lock"
TEST_LOCK = ROOT / "requirements" / "test.lock"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.MULTILINE)

#: Releases with known fixes the bounds must stay above (issue 13).
SECURITY_FLOORS = {
    "requests": "2.32.4",
    "authlib": "1.6.5",
    "cryptography": "44.0.1",
    "flask": "3.1.1",
}


def declared() -> tuple[list[Requirement], list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = [Requirement(r) for r in project["dependencies"]]
    test = [Requirement(r) for r in project["optional-dependencies"]["test"]]
    return runtime, test


def pins(lock: Path) -> dict[str, Version]:
    return {
        canonicalize_name(name): Version(version)
        for name, version in _PIN.findall(lock.read_text(encoding="utf-8"))
    }


def hashed_blocks(lock: Path) -> list[str]:
    """Each pinned requirement's block of lines (the pin and its --hash continuation lines)."""
    return re.split(r"\n(?=[A-Za-z0-9])", lock.read_text(encoding="utf-8").split("\n\n", 1)[-1])


@pytest.mark.parametrize(
    ("lock", "groups"), [(RUNTIME_LOCK, ("runtime",)), (TEST_LOCK, ("runtime", "test"))]
)
def test_every_declared_dependency_is_pinned_at_an_allowed_version(
    lock: Path, groups: tuple[str, ...]
) -> None:
    runtime, test = declared()
    wanted = [*runtime, *(test if "test" in groups else [])]
    pinned = pins(lock)
    missing = [str(r) for r in wanted if canonicalize_name(r.name) not in pinned]
    assert not missing, f"{lock.name} lacks {missing}: run `make lock`"
    outside = [
        f"{r} (pinned {pinned[canonicalize_name(r.name)]})"
        for r in wanted
        if not r.specifier.contains(pinned[canonicalize_name(r.name)], prereleases=True)
    ]
    assert not outside, f"{lock.name} pins outside pyproject.toml: {outside}: run `make lock`"


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, TEST_LOCK])
def test_every_pin_carries_hashes(lock: Path) -> None:
    blocks = [b for b in hashed_blocks(lock) if _PIN.match(b)]
    assert blocks
    unhashed = [b.split()[0] for b in blocks if "--hash=sha256:" not in b]
    assert not unhashed


def test_the_image_ships_the_runtime_versions_ci_tested() -> None:
    runtime_pins, test_pins = pins(RUNTIME_LOCK), pins(TEST_LOCK)
    differing = {n: (v, test_pins.get(n)) for n, v in runtime_pins.items() if test_pins.get(n) != v}
    assert not differing


def test_the_bounds_exclude_releases_with_known_fixes() -> None:
    runtime, _ = declared()
    by_name = {canonicalize_name(r.name): r for r in runtime}
    for name, floor in SECURITY_FLOORS.items():
        specifier = by_name[canonicalize_name(name)].specifier
        below = (*Version(floor).release[:-1], Version(floor).release[-1] - 1)
        assert not specifier.contains(".".join(map(str, below))), f"{name} allows < {floor}"
        assert specifier.contains(floor), name
