"""The house in wings, read from the code (``ast``): no import circle, no wing importing one above it,
no streamlit under analytics/.

The order, low to high, follows what the code needs:

- the ground floor: ``contract``, ``settings``, ``fmt``, ``text``, ``scope`` (Period, Filters, the cursor);
- ``figures``: the KPI SQL over a cursor. Below the store because the store's single writer keeps the
  rollups, its migrations build them and a backup records the KPIs; the same SQL runs over a lake;
- ``access``: who may do what, the audit, accounts and sessions. Handed the store to write through
  (the ``Store`` name only under ``TYPE_CHECKING``, which never runs);
- ``store``: the database, its registry (targets, units: admin-only, audited), backups, demo, lake;
- ``ingest``: the upload path, writing through the store as the acting user;
- ``meeting``: charts, narrative, slides, export, from the figures;
- the command line; then ``ui/``; then ``pages/`` and ``app.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

GROUND = {"analytics", "analytics.contract", "analytics.settings", "analytics.fmt", "analytics.text",
          "analytics.scope"}
WINGS = ["ground", "analytics.figures", "analytics.access", "analytics.store", "analytics.ingest",
         "analytics.meeting", "cli", "ui", "pages"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    files = [*ROOT.glob("analytics/**/*.py"), *ROOT.glob("ui/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]
    return {module_name(p): p for p in files}


MODULES = all_modules()


def wing(mod: str) -> str:
    if mod in GROUND:
        return "ground"
    if mod in ("analytics.cli", "analytics.__main__", "analytics.serve"):
        return "cli"
    if mod == "app" or mod.startswith("pages"):
        return "pages"
    if mod.startswith("ui"):
        return "ui"
    for w in WINGS:
        if mod == w or mod.startswith(w + "."):
            return w
    raise AssertionError(f"{mod} belongs to no wing: add it to tests/test_wings.py")


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of import nodes inside ``if TYPE_CHECKING:`` (never run)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            out.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return out


def imports(mod: str) -> list[str]:
    """The project modules ``mod`` imports, at the top or inside a function (both run)."""
    path = MODULES[mod]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != mod:
                found.append(name)
    return found


GRAPH = {m: sorted(set(imports(m))) for m in MODULES}


def test_every_module_has_a_wing():
    for m in MODULES:
        assert wing(m) in WINGS


def test_no_import_circle():
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for n in GRAPH[m]:
            if state.get(n) == 1:
                raise AssertionError("import circle: " + " → ".join(path[path.index(n):] + [n]))
            if n not in state:
                visit(n)
        path.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)


@pytest.mark.parametrize("mod", sorted(GRAPH))
def test_no_wing_imports_one_above_it(mod):
    rank = WINGS.index(wing(mod))
    upward = [n for n in GRAPH[mod] if WINGS.index(wing(n)) > rank]
    assert not upward, f"{mod} ({wing(mod)}) imports a higher wing: {upward}"


@pytest.mark.parametrize("mod", sorted(m for m in MODULES if m.startswith("analytics")))
def test_analytics_imports_no_streamlit(mod):
    tree = ast.parse(MODULES[mod].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
        assert not any(n == "streamlit" or n.startswith("streamlit.") for n in names), mod


def test_the_checker_sees_a_circle_and_an_upward_import():
    """The rules above fail when they should: on a made-up graph and on a made-up upward import."""
    assert wing("analytics.store.db") == "analytics.store" and wing("analytics.scope") == "ground"
    assert WINGS.index(wing("analytics.figures.kpis")) < WINGS.index(wing("analytics.store.db"))
    assert "analytics.store.files" in GRAPH["analytics.store.db"]
    assert "analytics.store.backup" not in GRAPH["analytics.store.db"]  # the old db ↔ backup circle
    assert "analytics.figures.rollups" in GRAPH["analytics.store.db"]


@pytest.mark.parametrize("path", sorted({p for p in MODULES.values()
                                         if p.name != "__init__.py" and len(p.read_text("utf-8").splitlines()) > 520}),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_a_long_file_says_why_it_is_one_piece(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    assert "one piece" in doc.lower(), (
        f"{path.name} is over ~500 lines: split it, or say in its docstring why it is one piece")
