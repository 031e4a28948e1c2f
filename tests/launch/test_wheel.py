"""The product-only wheel, and an engine that loads no web stack.

The wheel (``pip wheel --no-deps .``) ships ``smart_app`` and the profiles it reads, never the
sandbox, the demo scripts, the Java module or key material (issue: one front door, item 6).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: Libraries of the edges; the pure engine must load none of them.
WEB_STACK = ("flask", "werkzeug", "authlib", "joserfc", "redis", "rq", "requests")
KEY_SUFFIXES = (".pem", ".key", ".p12", ".jks")


def build_wheel(out: Path) -> dict[str, bytes]:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",  # hatchling comes from the test extra: no network
            "--wheel-dir",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    [wheel] = out.glob("ms_monitor-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_wheel_ships_the_product_only(tmp_path: Path) -> None:
    files = build_wheel(tmp_path)
    names = list(files)
    assert "smart_app/domain/reads.py" in names
    assert "smart_app/web/templates/dashboard.html" in names
    assert any(n.startswith("smart_app/fhir_profiles/") for n in names), "the profiles it reads"
    assert [n for n in names if n.startswith("launch/")] == []
    assert [n for n in names if n.endswith(KEY_SUFFIXES)] == []
    assert [n for n in names if "sandbox" in n or "keys/" in n] == []
    assert [n for n in names if n.startswith(("tests/", "bench/"))] == []
    assert [n for n, body in files.items() if b"PRIVATE KEY-----" in body] == []


@pytest.mark.parametrize(
    "modules",
    [
        "smart_app.domain, smart_app.domain.reads, smart_app.domain.references",
        "smart_app.service.offline, smart_app.service.context",  # ms-monitor evaluate
    ],
)
def test_importing_the_engine_loads_no_web_stack(modules: str) -> None:
    probe = f"import {modules}, sys; print(sorted(m for m in {WEB_STACK!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, cwd=REPO
    )
    assert done.stdout.strip() == "[]"
