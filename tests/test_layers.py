"""The house rules: analytics/ imports no streamlit; pages/ and ui/ hold no SQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SQL = re.compile(r"\b(SELECT\s+.+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b",
                 re.IGNORECASE | re.DOTALL)


@pytest.mark.parametrize("path", sorted((ROOT / "analytics").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT / "analytics")))
def test_analytics_does_not_import_streamlit(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"^\s*(import streamlit|from streamlit)", text, re.MULTILINE), path


@pytest.mark.parametrize("path", sorted([*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), ROOT / "app.py"]),
                         ids=lambda p: p.name)
def test_pages_hold_no_sql(path):
    text = path.read_text(encoding="utf-8")
    assert not SQL.search(text), f"SQL in {path.name}: move it to analytics/"
    assert ".execute(" not in text, f"{path.name} runs queries: call analytics instead"


@pytest.mark.parametrize("path", [p for p in sorted((ROOT / "analytics").rglob("*.py"))
                                  if p.name not in ("cli.py", "__main__.py")],
                         ids=lambda p: str(p.relative_to(ROOT / "analytics")))
def test_library_modules_do_not_import_the_command_line(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from\s+\S*\b(cli|__main__)\b\s+import|import\s+\S*\b(cli|__main__)\b|"
                         r"from\s+\.+\s+import\s+.*\b(cli|__main__)\b)", text, re.MULTILINE), path
