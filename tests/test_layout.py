"""The package's shape, read from its source with ``ast`` (nothing is imported)."""

from __future__ import annotations

import ast
from pathlib import Path

import ikenei

PACKAGE_DIR = Path(ikenei.__file__).parent


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
