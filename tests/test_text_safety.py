"""No page hands user data to Markdown or HTML unescaped; no SQL f-string carries a path or value.

Static checks over the source (the AST, not a regex), so they hold for code paths no other
test reaches. What a page may pass to an element that renders Markdown (``st.markdown``,
captions, alerts, titles) or HTML (``st.html``, ``unsafe_allow_html``):

- string constants, ``t(...)`` of such, numbers formatted in an f-string (``{n:,}``);
- ``md(x)`` (Markdown) or ``html.escape(x)`` (HTML) of anything;
- functions documented to return Markdown-safe text (``MD_SAFE_CALLS``), ``fmt.*`` numbers;
- f-strings, ``+`` and ``"、".join(...)`` made only of the above, and names only ever assigned
  from them.

Anything else fails, unless its line says why it is safe with ``# text-safe: <reason>``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UI_FILES = sorted([ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")])
MD_SINKS = {"markdown", "caption", "info", "success", "warning", "error", "title", "header", "subheader",
            "toast", "write"}
HTML_SINKS = {"html"}
# Return Markdown-safe text: the escaper itself, filters in words (escapes the names it lists),
# role names (constants), period labels (made from validated dates).
MD_SAFE_CALLS = {"md", "filters_caption", "role_name", "label", "reference_text"}
HTML_SAFE_CALLS = {"escape"}  # html.escape
# Our own functions that put their arguments into Markdown: the listed positions are sinks too.
SINK_ARGS = {"show_chart": [2], "page_header": [0, 1], "page_start": [0, 1], "view": [1, 2]}
NUMBER_CALLS = {"len", "int", "float", "pct", "money", "count", "thousands", "wan", "per_mu",
                "sector_name", "metric_name"}  # fmt.* give numbers and fixed names
SAFE_ATTRS = re.compile(r"^(period|prev_period|group_period)\.(label_from|label_to|start\.year)$")


SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.GeneratorExp, ast.ListComp, ast.SetComp,
          ast.DictComp)
UNSAFE: ast.expr = ast.Name(id="<unsafe>")  # a binding whose value the checker cannot know


class Checker:
    """Resolves names to what they were assigned, scope by scope, and judges expressions."""

    def __init__(self, tree: ast.Module, safe_calls: set[str]):
        self.safe_calls = safe_calls
        self.tree = tree
        self.parent_scope: dict[ast.AST, ast.AST] = {}
        self.bindings: dict[tuple[ast.AST, str], list[ast.expr]] = {}
        self.scope_of: dict[ast.AST, ast.AST] = {}
        self._walk(tree, tree)
        self._resolving: set[tuple[ast.AST, str]] = set()

    def _bind(self, scope: ast.AST, target: ast.AST, value: ast.expr) -> None:
        for n in ast.walk(target):
            if isinstance(n, ast.Name):
                self.bindings.setdefault((scope, n.id), []).append(value)

    def _walk(self, node: ast.AST, scope: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, SCOPES):
                self.parent_scope[child] = scope
                inner = child
                args = child.args if not isinstance(child, SCOPES[3:]) else None
                if args is not None:
                    for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                        self.bindings.setdefault((child, a.arg), []).append(UNSAFE)
            self.scope_of[child] = inner
            if isinstance(child, ast.Assign):
                for target in child.targets:  # unpacking (zh, en = TITLES[key]): as safe as the value
                    self._bind(scope, target, child.value)
            elif isinstance(child, (ast.AnnAssign, ast.AugAssign)):
                self._bind(scope, child.target, getattr(child, "value", None) or UNSAFE)
            elif isinstance(child, (ast.For, ast.comprehension)):
                literal = all(isinstance(n, (ast.Constant, ast.Tuple, ast.List, ast.Load))
                              for n in ast.walk(child.iter))
                # for zh, en in (("种鸭", "Ducks"), …) binds constants; any other loop, unknowns
                where = inner if isinstance(child, ast.comprehension) else scope
                self._bind(where, child.target, ast.Constant("") if literal else UNSAFE)
            elif isinstance(child, ast.ExceptHandler) and child.name:
                self.bindings.setdefault((scope, child.name), []).append(UNSAFE)
            elif isinstance(child, ast.NamedExpr):
                self._bind(scope, child.target, UNSAFE)
            elif isinstance(child, (ast.With, ast.AsyncWith)):
                for item in child.items:
                    if item.optional_vars is not None:
                        self._bind(scope, item.optional_vars, UNSAFE)
            self._walk(child, inner)

    def call_name(self, node: ast.Call) -> str:
        f = node.func
        return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""

    def safe(self, node: ast.expr | None, scope: ast.AST | None = None) -> bool:
        """Whether ``node``, evaluated in ``scope`` (a function, or the module), is safe to show."""
        scope = scope or self.scope_of.get(node, self.tree)
        if node is None or node is UNSAFE:
            return False
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.JoinedStr):
            return all(self.safe(v) for v in node.values)
        if isinstance(node, ast.FormattedValue):
            return node.format_spec is not None or self.safe(node.value)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.safe(node.left) and self.safe(node.right)
        if isinstance(node, ast.IfExp):
            return self.safe(node.body) and self.safe(node.orelse)
        if isinstance(node, ast.Attribute):  # module constants (export.TOWNSHIP) and period fields
            return node.attr.isupper() or bool(SAFE_ATTRS.match(ast.unparse(node)))
        if isinstance(node, ast.Subscript):  # a row of a constant table: TITLES[sector]
            return isinstance(node.value, ast.Name) and node.value.id.isupper()
        if isinstance(node, ast.Call):
            name = self.call_name(node)
            if name in self.safe_calls or name in NUMBER_CALLS:
                return True
            if name == "t":
                return all(self.safe(a) for a in node.args)
            if name == "join" and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Constant):
                arg = node.args[0] if node.args else None
                if isinstance(arg, (ast.GeneratorExp, ast.ListComp)):
                    return self.safe(arg.elt)
                return False
            return False
        if isinstance(node, ast.Name):
            while (scope, node.id) not in self.bindings:  # Python's rule: local, then enclosing, then global
                if scope is self.tree:
                    return False
                scope = self.parent_scope.get(scope, self.tree)
            key = (scope, node.id)
            if key in self._resolving:
                return False
            self._resolving.add(key)
            try:
                return all(self.safe(v) for v in self.bindings[key])
            finally:
                self._resolving.discard(key)
        return False


def sink_calls(tree: ast.Module):
    """(line, kind, call, arguments shown) for every Markdown or HTML sink in the module."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        shown = node.args[:1] + [k.value for k in node.keywords if k.arg in ("body", "label")]
        if any(k.arg == "unsafe_allow_html" for k in node.keywords):
            yield node.lineno, "unsafe_allow_html", node, shown
        elif name in HTML_SINKS:
            yield node.lineno, "html", node, shown
        elif name in MD_SINKS:
            yield node.lineno, "markdown", node, shown
        fname = node.func.id if isinstance(node.func, ast.Name) else name
        positions = [i for i in SINK_ARGS.get(fname, ()) if i < len(node.args)]
        if positions:
            yield node.lineno, "markdown", node, [node.args[i] for i in positions]


def problems(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    md_check, html_check = Checker(tree, MD_SAFE_CALLS), Checker(tree, HTML_SAFE_CALLS)
    out = []
    for lineno, kind, call, shown in sink_calls(tree):
        if any("# text-safe:" in lines[i - 1] for i in range(lineno, (call.end_lineno or lineno) + 1)):
            continue
        if kind == "unsafe_allow_html":
            out.append(f"{path.name}:{lineno}: unsafe_allow_html (use st.html with html.escape)")
            continue
        checker = html_check if kind == "html" else md_check
        for arg in shown:
            if not checker.safe(arg):
                out.append(f"{path.name}:{lineno}: {kind} gets {ast.unparse(arg)[:80]!r} unescaped")
    return out


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_pages_escape_what_they_show(path):
    found = problems(path)
    assert not found, "\n".join(found)


def test_the_checker_catches_unescaped_names(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import streamlit as st\n"
        "name = load()\n"
        "st.info(f'新合作社：{name}')\n"
        "st.sidebar.markdown('**' + user.cooperative + '**')\n"
        "st.html(f'<b>{md(name)}</b>')\n"
        "st.markdown(x, unsafe_allow_html=True)\n"
        "st.caption(t(f'共 {n:,} 行', f'{n:,} rows'))\n"
        "st.success(md(name))\n"
        "st.html(f'<b>{html.escape(name)}</b>')\n", encoding="utf-8")
    found = problems(bad)
    assert [f.split(":")[1] for f in found] == ["3", "4", "5", "6"], found


# --- SQL ------------------------------------------------------------------------------------

SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|ATTACH|COPY|CREATE|DROP|EXPORT|IMPORT|PRAGMA|SET|FROM)\b")
# What an f-string in SQL may interpolate: identifiers and fragments the code itself builds
# from analytics/contract.py and constants. A path, a name or any value must be a parameter.
SUSPECT = re.compile(r"path|file|dir|dest|copy|target|backup|out\b|user|password|value|coop|"
                     r"village|zone|crop|label|month|name|text|query|arg", re.IGNORECASE)


def sql_fstrings(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            literal = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if SQL.search(literal) and re.search(r"\b(SELECT|INSERT|UPDATE|DELETE|ATTACH|COPY|CREATE|DROP|"
                                                 r"EXPORT|IMPORT|PRAGMA)\b", literal):
                yield node


def sql_problems(path: Path) -> list[str]:
    out = []
    for node in sql_fstrings(path):
        for v in node.values:
            if isinstance(v, ast.FormattedValue):
                expr = ast.unparse(v.value)
                if SUSPECT.search(expr):
                    out.append(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}:"
                               f"{node.lineno}: SQL f-string interpolates {expr!r}")
        # A value pasted between quotes is the classic injection, whatever its name.
        src = ast.unparse(node)
        if re.search(r"'\{[^}]*\}'", src):
            expr = re.search(r"'\{([^}]*)\}'", src).group(1)
            if expr not in ("s", "s.key", "kind"):  # sector keys and 'village'/'zone' from tuples in code
                out.append(f"{path.name}:{node.lineno}: SQL f-string quotes {expr!r} as a literal")
    return out


CODE_FILES = sorted([*ROOT.glob("analytics/**/*.py"), *ROOT.glob("bench/*.py"), *ROOT.glob("scripts/*.py")])


@pytest.mark.parametrize("path", CODE_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_sql_fstring_with_a_path_or_value(path):
    found = sql_problems(path)
    assert not found, "\n".join(found)


def test_the_sql_grep_catches_a_path(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("cur.execute(f\"ATTACH '{copy}' AS park_backup\")\n"
                   "cur.execute(f'SELECT * FROM {s.table} WHERE cooperative = {coop!r}')\n"
                   "cur.execute(f'SELECT * FROM {s.table} WHERE upload_id = ?', [uid])\n", encoding="utf-8")
    found = sql_problems(bad)
    assert sorted(f.split(":")[1] for f in found) == ["1", "1", "2"], found
    assert "'copy'" in found[0] and "'coop'" in found[2], found
