"""The one table format every benchmark prints (``python -m bench`` and each module alone)."""

from __future__ import annotations


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    """``title``, a rule, then one ``name  value`` line per row, the values right-aligned."""
    width = max(len(name) for name, _ in rows)
    print(f"\n{title}")
    print("-" * (width + 16))
    for name, value in rows:
        print(f"{name:<{width}}  {value:>12}")
