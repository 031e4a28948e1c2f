"""``python -m bench``: run every benchmark and print one table each."""

from __future__ import annotations

from bench import engine, launch
from bench.fhir_server import fhir_server


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    print(f"\n{title}")
    print("-" * (width + 16))
    for name, value in rows:
        print(f"{name:<{width}}  {value:>12}")


def main() -> None:
    print_table("Engine (one core)", engine.run())
    with fhir_server() as fhir_base:
        print_table("SMART launch (app over HAPI)", launch.run(fhir_base))


if __name__ == "__main__":
    main()
