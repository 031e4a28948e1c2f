"""Regenerate fhir_profiles/examples/*.json from the engine's output (fixed as-of date).

    .venv/bin/python fhir_profiles/generate_examples.py

tests/profiles/test_examples.py fails when the committed examples differ from a fresh run.
"""

from __future__ import annotations

from pathlib import Path

from smart_app.conformance.examples import write_examples

if __name__ == "__main__":
    for path in write_examples(Path(__file__).resolve().parent / "examples"):
        print(path.name)
