"""The layers hold: arrows point down only (pages -> core -> db), with no import cycle in core/.

Every import counts, wherever it is written: at module level, inside a function, under
`if TYPE_CHECKING:`, relative (`from . import x`) or by `importlib.import_module("...")` with a
literal name. The graph is read from the source with `ast`, so nothing is imported to check it.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("core", "db")
"""The packages whose imports are checked."""
ABOVE_CORE = {"streamlit", "ui", "pages", "cli", "app", "manage"}
"""What core/ and db/ never import: the app, its pages and widgets, the command line."""


def module_files(root: Path, packages=LAYERS) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under the given top-level packages."""
    out = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _package_of(module: str, path: Path) -> str:
    """The package a relative import in `module` starts from."""
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _resolve_relative(module: str, path: Path, level: int, name: str | None) -> str:
    base = _package_of(module, path).split(".")
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def imported_names(module: str, path: Path, known: set[str]) -> set[str]:
    """Every module `module` imports, anywhere in its file. `from x import y` counts as
    importing x.y when that is a module of the project, else as importing x."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                source = _resolve_relative(module, path, node.level, node.module)
            else:
                source = node.module or ""
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                out.add(candidate if candidate in known else source)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if (
                called in ("import_module", "__import__")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                out.add(first.value)
    out.discard(module)
    return out


def import_graph(root: Path, packages=LAYERS) -> dict[str, set[str]]:
    """Module -> every module it imports (project modules and outside ones alike)."""
    files = module_files(root, packages)
    known = set(files)
    return {module: imported_names(module, path, known) for module, path in files.items()}


def find_cycle(graph: dict[str, set[str]], within: str) -> list[str] | None:
    """One import cycle among the modules under `within` (as a path a -> b -> ... -> a), or
    None. Depth-first search; edges leaving `within` are ignored."""
    nodes = {m for m in graph if m == within or m.startswith(within + ".")}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, set()) & nodes):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(nodes):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def _top(name: str) -> str:
    return name.split(".")[0]


@cache
def project_graph() -> dict[str, set[str]]:
    return import_graph(ROOT)


def test_the_graph_covers_core_and_db():
    graph = project_graph()
    assert "core.org.regions" in graph and "db.schema" in graph
    assert "db.schema" in graph["core.org.regions"]


def test_there_is_no_import_cycle_in_core():
    cycle = find_cycle(project_graph(), "core")
    assert cycle is None, "import cycle in core/: " + " -> ".join(cycle or [])


def test_there_is_no_import_cycle_in_db():
    cycle = find_cycle(project_graph(), "db")
    assert cycle is None, "import cycle in db/: " + " -> ".join(cycle or [])


def test_core_and_db_never_import_the_app_the_pages_or_the_command_line():
    upward = sorted(
        f"{module} imports {name}"
        for module, names in project_graph().items()
        for name in names
        if _top(name) in ABOVE_CORE
    )
    assert upward == []


def test_db_imports_nothing_from_core():
    found = sorted(
        f"{module} imports {name}"
        for module, names in project_graph().items()
        if _top(module) == "db"
        for name in names
        if _top(name) == "core"
    )
    assert found == []


def test_the_checker_sees_function_local_relative_and_dynamic_imports(tmp_path):
    """A cycle hidden in a function, through `from . import`, is found; so are upward imports
    written inside functions or by importlib."""
    package = tmp_path / "core" / "org"
    package.mkdir(parents=True)
    (tmp_path / "core" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "regions.py").write_text("from . import audit\n")
    (package / "audit.py").write_text(
        "def entries():\n    from .access import ensure_role\n    return ensure_role\n"
    )
    (package / "access.py").write_text(
        "import importlib\n\n\ndef tree():\n    from ..org.regions import load\n"
        "    importlib.import_module('ui.data')\n    import streamlit\n"
    )
    (package / "company.py").write_text("from core.org import audit, regions\n")
    graph = import_graph(tmp_path, packages=("core",))
    assert graph["core.org.regions"] == {"core.org.audit"}
    assert graph["core.org.company"] == {"core.org.audit", "core.org.regions"}
    assert graph["core.org.access"] == {"importlib", "core.org.regions", "ui.data", "streamlit"}
    assert find_cycle(graph, "core") == [
        "core.org.access",
        "core.org.regions",
        "core.org.audit",
        "core.org.access",
    ]
    (package / "audit.py").write_text("def entries():\n    return None\n")
    assert find_cycle(import_graph(tmp_path, packages=("core",)), "core") is None
