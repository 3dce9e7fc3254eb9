"""The package's shape, read from its source with ``ast`` (nothing is imported).

Imports point one way: every ``import`` counts, at module level, inside
functions and under ``TYPE_CHECKING`` alike, because a cycle hidden in a
function is still a cycle. No module reaches into another's ``_private`` names.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import ikenei

PACKAGE_DIR = Path(ikenei.__file__).parent


@dataclass(frozen=True)
class Import:
    importer: str
    line: int
    module: str  # the ikenei module imported (a package's __init__ by its package name)
    name: str | None  # the name taken from it, for ``from m import name``


def module_names() -> dict[str, Path]:
    names = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = ["ikenei", *path.relative_to(PACKAGE_DIR).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


MODULES = module_names()


def resolve(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if MODULES[importer].name != "__init__.py":
        base.pop()
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(importer: str) -> list[Import]:
    tree = ast.parse(MODULES[importer].read_text(), str(MODULES[importer]))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    found.append(Import(importer, node.lineno, alias.name, None))
        elif isinstance(node, ast.ImportFrom):
            source = resolve(importer, node)
            if source not in MODULES:
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in MODULES:  # ``from ikenei import embedded``: the module
                    found.append(Import(importer, node.lineno, submodule, None))
                else:
                    found.append(Import(importer, node.lineno, source, alias.name))
    return found


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for importer in MODULES:
        for imp in imports_of(importer):
            if imp.module != importer:
                edges[importer].add(imp.module)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def private_reaches() -> list[str]:
    """``from m import _x`` and ``m._x`` where ``m`` is another ikenei module."""
    found = []
    for importer, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        module_aliases: dict[str, str] = {}
        for imp in imports_of(importer):
            if imp.name is not None and imp.name.startswith("_") and imp.module != importer:
                found.append(f"{importer}:{imp.line} imports {imp.module}.{imp.name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = resolve(importer, node)
                for alias in node.names:
                    if f"{source}.{alias.name}" in MODULES:
                        module_aliases[alias.asname or alias.name] = f"{source}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in MODULES and alias.asname:
                        module_aliases[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in module_aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and module_aliases[node.value.id] != importer
            ):
                target = module_aliases[node.value.id]
                found.append(f"{importer}:{node.lineno} uses {target}.{node.attr}")
    return found


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_no_module_imports_another_modules_private_names() -> None:
    assert private_reaches() == []


def test_the_walk_sees_every_module_and_a_known_import() -> None:
    # The checks above are only as good as the walk: it must find the modules
    # and the imports that are certainly there.
    assert {"ikenei", "ikenei.cli", "ikenei.db.database", "ikenei.errors"} <= set(MODULES)
    assert "ikenei.errors" in graph()["ikenei.db.database"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_reading_settings_never_reaches_the_embedded_server() -> None:
    reachable = set()
    todo = ["ikenei.config.settings"]
    edges = graph()
    while todo:
        module = todo.pop()
        if module not in reachable:
            reachable.add(module)
            todo.extend(edges[module])
    assert "ikenei.embedded" not in reachable


def sources() -> dict[str, ast.Module]:
    return {
        str(path.relative_to(PACKAGE_DIR.parent)): ast.parse(path.read_text(), str(path))
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
    }


def test_the_cli_entry_point_is_the_one_place_that_runs_an_event_loop() -> None:
    # Commands are coroutines run by ikenei.cli.main; a module that started its
    # own loop could not be called from a command (or from any async caller).
    runs = [
        f"{name}:{node.lineno}"
        for name, tree in sources().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"run", "run_until_complete", "new_event_loop"}
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in {"asyncio", "loop"}
    ]
    assert len(runs) == 1 and runs[0].startswith("ikenei/cli/__init__.py:"), runs


def test_every_command_group_module_is_registered() -> None:
    from ikenei import cli

    modules = {
        path.stem for path in (PACKAGE_DIR / "cli").glob("*.py")
    } - {"__init__", "__main__", "common", "connection"}
    registered = {configure.__module__.rsplit(".", 1)[1] for configure in cli.GROUPS}
    assert registered == modules
    for configure in cli.GROUPS:
        assert configure.__name__ == f"configure_{configure.__module__.rsplit('.', 1)[1]}_parser"
