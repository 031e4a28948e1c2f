"""The committed examples are exactly what the engine produces (regenerate with
``.venv/bin/python fhir_profiles/generate_examples.py``)."""

from __future__ import annotations

from pathlib import Path

from smart_app.conformance import PROFILE_IDS, profile_url
from smart_app.conformance.examples import example_text, generate_examples, write_examples

EXAMPLES = Path(__file__).resolve().parents[2] / "fhir_profiles" / "examples"


def test_committed_examples_equal_fresh_ones() -> None:
    fresh = generate_examples()
    committed = {p.name: p.read_text("utf-8") for p in EXAMPLES.glob("*.json")}
    assert set(committed) == set(fresh)
    for name, resource in fresh.items():
        assert committed[name] == example_text(resource), f"{name} is stale: regenerate it"


def test_there_is_an_example_of_every_profile() -> None:
    claimed = {url for r in generate_examples().values() for url in r["meta"]["profile"]}
    assert claimed == {profile_url(pid) for pid in PROFILE_IDS.values()}


def test_examples_reference_each_other_by_id_not_urn() -> None:
    for resource in generate_examples().values():
        assert "urn:uuid:" not in example_text(resource)


def test_write_examples_removes_stale_files(tmp_path: Path) -> None:
    (tmp_path / "Task-old.json").write_text("{}")
    written = write_examples(tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.json")) == sorted(p.name for p in written)
    assert not (tmp_path / "Task-old.json").exists()
