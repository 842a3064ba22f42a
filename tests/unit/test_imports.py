"""The ``bcd35`` package has no import cycle, and its function-local imports follow one rule.

**No cycle.** The module graph is built from every import statement of ``bcd35/``, those inside
functions included (a function-local import hides a cycle, it does not remove one), and those
under ``if TYPE_CHECKING:``. An edge goes to the module imported: ``from bcd35.x import y`` is an
edge to ``bcd35.x.y`` when ``y`` is a submodule, else to ``bcd35.x``; relative imports are
resolved. Importing ``bcd35.a.b`` also runs ``bcd35/a/__init__.py``: that is an edge to
``bcd35.a`` too, unless the importer is inside ``bcd35.a`` (it has run already). Every strongly
connected component of more than one module is a failure, printed with the edges (file:line)
that tie it. The fix is to move the shared code down a layer (docs/development.md#imports).

**Imports go at the top of the module.** A function-local import is allowed only

1. of a *heavy* third-party library (``HEAVY``: the engines, readers and writers only some
   commands need, most a tenth of a second or more to import), anywhere; and
2. of a *heavy* ``bcd35`` module — one that imports a ``HEAVY`` library at module level,
   itself or through the ``bcd35`` modules it imports at module level — in a *light entry
   point* (``LIGHT_ENTRY_POINTS``): a module the DAG files import at parse time (found from
   their module-level imports, transitively), and ``bcd35/cli.py``, so that a command's start-up
   does not pay for every other command's imports.

Every other function-local import (a light ``bcd35`` module, the standard library, a light
third-party library; a heavy ``bcd35`` module from anywhere but an entry point) is a failure
naming file:line and the import. Imports under ``if TYPE_CHECKING:`` never run: they count for
the cycles, not for what is heavy.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "bcd35"
DAGS = REPO / "dags"

#: Third-party libraries that are heavy to import (cold import, seconds, on our machine):
#: great_expectations 3.9, dbt 2.0, airflow 1.9, matplotlib 0.7, pandas 0.6, pyarrow 0.3,
#: sqlalchemy 0.3, openpyxl 0.3, duckdb 0.2, docx 0.1, jinja2 0.1, psycopg2 0.06 and
#: python_calamine (the readers and engines only some commands need); fastapi 0.3, starlette
#: and uvicorn 0.1 (the upload page, only ``bcd35 upload``) and apprise 0.14 (sending an alert).
#: polars would be one; the package does not use it.
HEAVY = frozenset({
    "airflow", "apprise", "dbt", "docx", "duckdb", "fastapi", "great_expectations", "jinja2",
    "matplotlib", "openpyxl", "pandas", "psycopg2", "pyarrow", "python_calamine", "sqlalchemy",
    "starlette", "uvicorn",
})

#: The CLI, and the modules the DAG files import at parse time (checked against the DAG files
#: by ``test_the_light_entry_points_are_what_the_dags_and_the_cli_load``).
CLI = "bcd35.cli"
LIGHT_ENTRY_POINTS = frozenset({CLI, "bcd35", "bcd35.constants"})


@dataclass(frozen=True)
class Statement:
    """One import statement of one module."""

    module: str  # the importer, dotted
    path: Path
    line: int
    text: str  # the statement as written (normalised by ast.unparse)
    local: bool  # inside a function
    type_only: bool  # under ``if TYPE_CHECKING:``
    names: tuple[str, ...]  # absolute dotted names: ``import a.b`` → a.b; ``from a import b`` → a.b
    base: str  # ``from <base> import …``; "" for ``import …``

    def where(self, root: Path) -> str:
        return f"{self.path.relative_to(root)}:{self.line}"


@dataclass(frozen=True)
class Edge:
    importer: str
    target: str
    statement: Statement


def package_modules(root: Path, package: str = PACKAGE) -> dict[str, Path]:
    """Dotted module name → file, for every ``.py`` under ``root/package``."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def statements(module: str, path: Path) -> list[Statement]:
    """Every import statement of one file, at any depth."""
    is_package = path.name == "__init__.py"
    here = module if is_package else module.rpartition(".")[0]
    found: list[Statement] = []

    def visit(node: ast.AST, local: bool, type_only: bool) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.Import):
                base, names = "", tuple(a.name for a in node.names)
            else:
                base = node.module or ""
                if node.level:
                    anchor = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                names = tuple(f"{base}.{a.name}" if a.name != "*" else base for a in node.names)
            found.append(Statement(module, path, node.lineno, ast.unparse(node), local,
                                   type_only, names, base))
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, local, True)
            for child in node.orelse:
                visit(child, local, type_only)
            return
        inner = local or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inner, type_only)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), False, False)
    return found


def _existing(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is a module of the package (None: not ours)."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in modules:
            return ".".join(parts[:n])
    return None


def edges_of(statement: Statement, modules: dict[str, Path]) -> list[Edge]:
    """The package modules one statement imports, with the parent packages it runs."""
    targets = set()
    for name in statement.names:
        if statement.base and name not in modules:  # ``from x import name``: a name of x
            name = statement.base
        if (target := _existing(name, modules)) is not None:
            targets.add(target)
    importer = statement.module
    for target in list(targets):
        parts = target.split(".")
        for n in range(1, len(parts)):
            parent = ".".join(parts[:n])
            if parent in modules and not (importer == parent or importer.startswith(parent + ".")):
                targets.add(parent)
    return [Edge(importer, t, statement) for t in sorted(targets) if t != importer]


def scan(root: Path, package: str = PACKAGE) -> tuple[dict[str, Path], list[Statement]]:
    modules = package_modules(root, package)
    return modules, [s for m, p in modules.items() for s in statements(m, p)]


def _components(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            found.append(sorted(component))

    for v in nodes:
        if v not in index:
            strong(v)
    return found


def import_cycles(root: Path, package: str = PACKAGE) -> list[str]:
    """One report per strongly connected component of more than one module: its modules, then
    each edge inside it as ``file:line  statement  (importer → target)``."""
    modules, found = scan(root, package)
    edges = [e for s in found for e in edges_of(s, modules)]
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.importer, set()).add(e.target)
    reports = []
    for component in _components(sorted(modules), graph):
        if len(component) < 2:
            continue
        members = set(component)
        ties = sorted({f"  {e.statement.where(root)}  {e.statement.text}  "
                       f"({e.importer} → {e.target})"
                       for e in edges if e.importer in members and e.target in members})
        reports.append(f"cycle: {' ↔ '.join(component)}\n" + "\n".join(ties))
    return reports


def heavy_modules(root: Path, package: str = PACKAGE, heavy: frozenset[str] = HEAVY) -> set[str]:
    """The package modules that import a heavy library when imported: at module level, by
    themselves or through the package modules they import at module level."""
    modules, found = scan(root, package)
    runs = [s for s in found if not s.local and not s.type_only]
    result = {s.module for s in runs if any(n.split(".")[0] in heavy for n in s.names)}
    graph: dict[str, set[str]] = {}
    for s in runs:
        for e in edges_of(s, modules):
            graph.setdefault(e.importer, set()).add(e.target)
    changed = True
    while changed:
        grown = {m for m, targets in graph.items() if targets & result} - result
        result |= grown
        changed = bool(grown)
    return result


def parse_time_modules(root: Path, dags: Path, package: str = PACKAGE) -> set[str]:
    """The package modules the DAG files load at parse time: their module-level imports, and the
    module-level imports of those, transitively."""
    modules, found = scan(root, package)
    runs: dict[str, list[Statement]] = {}
    for s in found:
        if not s.local and not s.type_only:
            runs.setdefault(s.module, []).append(s)
    todo = [e.target for dag in sorted(dags.glob("*.py"))
            for s in statements(f"dags.{dag.stem}", dag) if not s.local and not s.type_only
            for e in edges_of(s, modules)]
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += [e.target for s in runs.get(module, []) for e in edges_of(s, modules)]
    return seen


def local_import_violations(root: Path, entry_points: frozenset[str],
                            package: str = PACKAGE, heavy: frozenset[str] = HEAVY) -> list[str]:
    """Every function-local import the rule of this module's docstring does not allow, as
    ``file:line  statement  (why)``."""
    modules, found = scan(root, package)
    heavy_ones = heavy_modules(root, package, heavy)
    bad = []
    for s in found:
        if not s.local:
            continue
        edges = edges_of(s, modules)
        ours = [n for n in s.names if _existing(n, modules) is not None]
        if not ours:
            if {n.split(".")[0] for n in s.names} <= heavy:
                continue
            why = "a light library: import it at the top"
        elif s.module not in entry_points:
            why = f"{s.module} is not a light entry point: import it at the top"
        elif not any(e.target in heavy_ones for e in edges):
            why = "a light bcd35 module: import it at the top"
        else:
            continue
        bad.append(f"{s.where(root)}  {s.text}  ({why})")
    return bad


# --- the package ----------------------------------------------------------------------------------


def test_the_package_has_no_import_cycle():
    cycles = import_cycles(REPO)
    assert not cycles, "\n\n" + "\n\n".join(cycles)


def test_function_local_imports_follow_the_rule():
    bad = local_import_violations(REPO, LIGHT_ENTRY_POINTS)
    assert not bad, (f"\n{len(bad)} function-local imports break the rule (a cycle when moved to"
                     " the top: move the shared code down a layer):\n" + "\n".join(bad))


def test_the_light_entry_points_are_what_the_dags_and_the_cli_load():
    assert parse_time_modules(REPO, DAGS) | {CLI} == LIGHT_ENTRY_POINTS


def test_the_light_entry_points_are_light():
    assert not heavy_modules(REPO) & LIGHT_ENTRY_POINTS


# --- the checker, on a planted package ------------------------------------------------------------


def _plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_cycle_hidden_in_a_function_is_caught(tmp_path):
    root = _plant(tmp_path, {
        "fake/__init__.py": "",
        "fake/a.py": "from fake.b import helper\n",
        "fake/b.py": "def helper():\n    from fake import a\n    return a\n",
        "fake/c.py": "from fake import b\n",  # imports into the cycle, is not part of it
    })
    [report] = import_cycles(root, "fake")
    assert report.startswith("cycle: fake.a ↔ fake.b\n")
    assert "fake/b.py:2  from fake import a  (fake.b → fake.a)" in report
    assert "fake/a.py:1  from fake.b import helper  (fake.a → fake.b)" in report
    assert "fake.c" not in report


def test_a_cycle_through_a_relative_import_and_a_package_init_is_caught(tmp_path):
    root = _plant(tmp_path, {
        "fake/__init__.py": "",
        "fake/sub/__init__.py": "from .leaf import x\nfrom . import helper\n",
        "fake/sub/leaf.py": "x = 1\n",
        # inside fake.sub, whose __init__ has run already: no edge to fake.sub
        "fake/sub/helper.py": "from fake.sub.leaf import x\n",
        "fake/top.py": "def f():\n    from fake.sub.leaf import x\n    return x\n",
        "fake/sub/other.py": "import fake.top\n",
    })
    # fake.top imports fake.sub.leaf, which runs fake/sub/__init__.py: fake.top → fake.sub
    assert import_cycles(root, "fake") == []
    (root / "fake/sub/__init__.py").write_text("from .leaf import x\nfrom . import other\n")
    [report] = import_cycles(root, "fake")
    assert report.startswith("cycle: fake.sub ↔ fake.sub.other ↔ fake.top\n")
    assert "fake/top.py:2  from fake.sub.leaf import x  (fake.top → fake.sub)" in report


def test_a_light_function_local_import_is_caught(tmp_path):
    root = _plant(tmp_path, {
        "fake/__init__.py": "",
        "fake/entry.py": ("def cmd():\n    from fake import heavy\n"
                          "def other():\n    from fake import light\n"
                          "def third():\n    import pandas\n"
                          "def fourth():\n    import json\n"),
        "fake/heavy.py": "from fake.middle import frame\n",
        "fake/middle.py": "import pandas\nframe = pandas.DataFrame\n",
        "fake/light.py": ("def f():\n    import pandas\n"
                          "def g():\n    from fake import middle\n"),
    })
    assert heavy_modules(root, "fake") == {"fake.heavy", "fake.middle"}
    bad = local_import_violations(root, frozenset({"fake.entry"}), "fake")
    assert [b.split("  (")[0] for b in bad] == [
        "fake/entry.py:4  from fake import light",
        "fake/entry.py:8  import json",
        "fake/light.py:4  from fake import middle",
    ]
    assert "a light bcd35 module" in bad[0]
    assert "a light library" in bad[1]
    assert "fake.light is not a light entry point" in bad[2]


def test_type_checking_imports_are_not_heavy_and_the_dags_entry_points_are_found(tmp_path):
    root = _plant(tmp_path, {
        "fake/__init__.py": "",
        "fake/names.py": "from fake import more\n",
        "fake/more.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pandas\n",
        "fake/task.py": "import duckdb\n",
        "dags/one.py": "from fake.names import X\ndef t():\n    from fake import task\n",
    })
    assert heavy_modules(root, "fake") == {"fake.task"}
    assert parse_time_modules(root, root / "dags", "fake") == {"fake", "fake.names", "fake.more"}


# --- what a stage's process loads -----------------------------------------------------------------

#: Each night stage runs in a process of its own (an Airflow task; the benchmark's stages):
#: importing ``bcd35.nightly`` loads only the engine, not pandas (0.3 s: only the audit and the
#: report use it, and import it when they run), GX, dbt or Airflow.
NIGHTLY_HEAVY = frozenset({"duckdb"})


def heavy_loaded(statement: str, path: Path = REPO) -> set[str]:
    """The ``HEAVY`` libraries in ``sys.modules`` after ``statement`` in a new interpreter
    (``path`` first on ``sys.path``)."""
    code = (f"import sys; sys.path.insert(0, {str(path)!r}); {statement}; "
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=path).stdout
    return set(out.split()) & HEAVY


def test_a_night_stage_loads_no_heavy_library_it_does_not_use():
    assert heavy_loaded("import bcd35.nightly") == NIGHTLY_HEAVY


def test_a_heavy_library_loaded_at_import_is_caught(tmp_path):
    _plant(tmp_path, {"planted/__init__.py": "", "planted/nightly.py": "import pandas\n"})
    assert "pandas" in heavy_loaded("import planted.nightly", tmp_path)
