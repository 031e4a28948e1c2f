"""The imports read in layers: domain <- fhir/auth <- service <- web/jobs/cli.

Parsed with ``ast`` from the source (no import side effects): every ``smart_app`` import of every
module is checked against the layer table, the web and jobs edges never import each other, only
the application service calls the engine, and the module graph has no cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "smart_app"

#: Layer of each top-level part of smart_app: a module may import its own layer and lower ones.
LAYERS: dict[str, int] = {
    "domain": 0,
    "errors": 0,
    "synthetic": 0,
    "settings": 1,
    "site_config": 1,  # a site's codes and categories, from its issuer registration
    "inputs": 1,
    "redis_connection": 1,
    "fhir": 1,
    "auth": 1,
    "service": 2,
    "seeding": 2,
    "conformance": 3,  # the ``profiles`` command: examples come from the service's evaluation
    "web": 3,
    "jobs": 3,
    "cli": 3,
    "cli_common": 3,
    "app": 3,
    "wsgi": 3,
    "": 3,  # smart_app/__init__.py: the package's face (create_app, imported lazily)
}
#: Edges of the same layer that must not know each other.
FORBIDDEN: set[tuple[str, str]] = {("web", "jobs"), ("jobs", "web")}
#: The engine's entry points: called by the application service only (and by tests).
ENGINE_CALLS = frozenset(
    {
        "extract_timeline",
        "evaluate_timeline",
        "evaluate_patient",
        "plan_transaction",
        "build_plan",
        "group_by_patient",
        "load_terminology",
        "default_terminology",
        "RuleSettings",
        "DEFAULT_SETTINGS",
    }
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports(path: Path, *, top_level_only: bool = False) -> Iterator[tuple[str, list[str]]]:
    """(imported smart_app module, names taken from it) for each import statement."""
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("smart_app"):
                yield node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("smart_app"):
                    yield alias.name, []


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_part_has_a_layer() -> None:
    assert {part_of(m) for m in MODULES} <= set(LAYERS)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_layers(module: str) -> None:
    here = part_of(module)
    wrong = []
    for target, _ in imports(MODULES[module]):
        there = part_of(target)
        if there == here:
            continue
        if LAYERS[there] > LAYERS[here] or (here, there) in FORBIDDEN:
            wrong.append(f"{module} -> {target}")
    assert wrong == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if part_of(m) not in {"service"}))
def test_only_the_service_calls_the_engine(module: str) -> None:
    if part_of(module) == "domain":
        return  # the engine itself
    called = [
        f"{target}.{name}"
        for target, names in imports(MODULES[module])
        if target.startswith("smart_app.domain")
        for name in names
        if name in ENGINE_CALLS
    ]
    assert called == []


def test_the_module_graph_has_no_cycle() -> None:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for module, path in MODULES.items():
        for target, names in imports(path, top_level_only=True):
            # ``from package import submodule`` depends on the submodule, not on the package
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            graph[module].update(submodules or ([target] if target in MODULES else []))
    state: dict[str, int] = {}  # 1 visiting, 2 done
    cycles: list[str] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []
