"""The examples of the documentation run: the README's "Using the API", and every
docstring example of the package (a ``::`` block that awaits something), under
the default ``DB_APP_ROLE`` (``ikenei_app``, bound by row-level security).

Each example runs as the body of a coroutine. Docstring fragments find ``db``
(a ``Database`` connected as ikenei_app), ``founder`` (a person signed up) and
``uuid4`` ready; the README's and the package's own examples need nothing.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from pii_support import TEST_PII_KEY

import ikenei
from ikenei import Database, load_settings
from ikenei.schema import seeds

ROOT = Path(__file__).parent.parent
PACKAGE_DIR = Path(ikenei.__file__).parent


def readme_api_examples() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Using the API\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def readme_python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL)


def docstring_examples() -> dict[str, str]:
    """``::`` blocks of the package's docstrings that await something, by place."""
    found = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(
                node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
            ):
                continue
            doc = ast.get_docstring(node)
            for index, block in enumerate(_literal_blocks(doc or "")):
                if "await " in block:
                    name = getattr(node, "name", "module")
                    found[f"{path.relative_to(ROOT)}:{name}:{index}"] = block
    return found


def _literal_blocks(doc: str) -> list[str]:
    blocks = []
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        if not line.rstrip().endswith("::"):
            continue
        body = []
        for following in lines[i + 1 :]:
            if following.strip() and not following.startswith((" ", "\t")):
                break
            body.append(following)
        blocks.append(textwrap.dedent("\n".join(body)).strip("\n"))
    return blocks


async def run_example(code: str, names: dict[str, Any]) -> dict[str, Any]:
    """Runs ``code`` as the body of a coroutine; its local names afterwards."""
    source = "async def __example():\n" + textwrap.indent(code, "    ") + "\n    return locals()\n"
    namespace = dict(names)
    exec(compile(source, "<example>", "exec"), namespace)  # noqa: S102 - our own documentation
    return await namespace["__example"]()


@pytest.fixture
def app_role_environment(monkeypatch: pytest.MonkeyPatch, fresh_dsn: str) -> str:
    """``load_settings()`` reaches the test's database, holding what every installation
    has (the prod seed: system roles, ...), with every other setting at its default."""
    seeds.run(fresh_dsn, "prod", out=lambda _line: None)
    for name in ikenei.Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("DATABASE_URL", fresh_dsn)
    monkeypatch.setenv("PII_ENCRYPTION_KEY", TEST_PII_KEY)
    assert load_settings().db_app_role == "ikenei_app"
    return fresh_dsn


def test_the_docs_have_examples_to_run() -> None:
    assert len(readme_api_examples()) >= 1
    assert any("ikenei/__init__.py" in place for place in docstring_examples())
    assert any("ikenei/db/database.py" in place for place in docstring_examples())


def test_every_python_block_of_the_readme_compiles() -> None:
    for block in readme_python_blocks():
        compile("async def _():\n" + textwrap.indent(block, "    "), "<README>", "exec")


async def test_the_readme_api_example_runs_as_ikenei_app(app_role_environment: str) -> None:
    for code in readme_api_examples():
        names = await run_example(code, {})
        assert names["member"].email == "ada@acme.example"
        assert [m.user_id for m in names["members"]] == [names["ada"].id]


async def test_docstring_examples_run_as_ikenei_app(app_role_environment: str) -> None:
    db = await Database.connect(load_settings())
    try:
        async with db.person(email="founder@initech.example") as tx:
            founder = await tx.users.create(
                email="founder@initech.example", password="a long passphrase",
                first_name="Bill", last_name="Lumbergh",
            )
        for place, code in docstring_examples().items():
            names = await run_example(code, {"db": db, "founder": founder, "uuid4": uuid4})
            assert names, place
    finally:
        await db.close()
