"""The floors of docs/architecture.md, kept true: every module's imports (those inside
functions too) are read from its source, and a module that imports a floor above its
own, a package beside it on its floor, or an orchestrator it must not know fails the
test, as do modules that import each other in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# package -> floor (docs/architecture.md); a package imports only lower floors
FLOORS = {
    "shared": 0,
    "ingestion": 1,
    "analytics": 1,
    "core": 2,
    "worlds": 2,
    "orchestration": 3,
    "trustcap": 4,
    "scripts": 5,
}
# below the orchestration floor nothing knows Dagster or dbt (core runs dbt as a program)
ORCHESTRATORS = {"dagster", "dagster_dbt", "dagster_duckdb", "dagster_webserver", "dbt"}
FLOOR_OF_ORCHESTRATION = FLOORS["orchestration"]


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path) -> dict[str, Path]:
    found = {}
    for package in FLOORS:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(root, path)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `name` imports: `from a.b import c` is a.b.c when c is a
    module, else a.b; relative imports are resolved against the module's package."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            # the longest project module the import names (a.b.c.func -> a.b.c)
            parts = target.split(".")
            for cut in range(len(parts), 0, -1):
                candidate = ".".join(parts[:cut])
                if candidate in known:
                    out.add(candidate)
                    break
            else:
                out.add(parts[0])  # outside the project: kept by its top-level name
    out.discard(name)
    return out


def wrong_way_imports(root: Path) -> list[str]:
    modules = project_modules(root)
    known = set(modules)
    problems = []
    for name, path in modules.items():
        own = name.split(".")[0]
        for target in sorted(imports_of(name, path, known)):
            top = target.split(".")[0]
            if top in FLOORS and top != own and FLOORS[top] >= FLOORS[own]:
                where = "above" if FLOORS[top] > FLOORS[own] else "beside"
                problems.append(f"{name} imports {target}: floor {FLOORS[top]}, {where} its own")
            if top in ORCHESTRATORS and FLOORS[own] < FLOOR_OF_ORCHESTRATION:
                problems.append(f"{name} imports {target}: below orchestration, no orchestrator")
    return problems


def import_circles(root: Path) -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan), larger than one."""
    modules = project_modules(root)
    known = set(modules)
    graph = {name: sorted(imports_of(name, path, known) & known) for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_no_module_imports_a_floor_above_or_beside_its_own():
    assert wrong_way_imports(REPO) == []


def test_no_modules_import_each_other_in_a_circle():
    assert import_circles(REPO) == []


def test_every_package_of_the_house_has_a_floor():
    packages = {p.parent.name for p in REPO.glob("*/__init__.py")}
    assert packages - {"tests"} <= set(FLOORS)


def _house(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("planted", "found"),
    [
        # the CLI's old arrow: a lower floor reaching up to the application
        ("def f():\n    from trustcap.cli import main\n", "core.a imports trustcap.cli: floor 4"),
        ("import orchestration.definitions\n", "core.a imports orchestration.definitions"),
        ("from worlds import b\n", "core.a imports worlds.b: floor 2, beside"),
        ("import dagster\n", "core.a imports dagster: below orchestration"),
    ],
)
def test_a_planted_wrong_way_import_is_found(tmp_path, planted, found):
    root = _house(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/a.py": planted,
            "worlds/__init__.py": "",
            "worlds/b.py": "",
            "orchestration/__init__.py": "",
            "orchestration/definitions.py": "",
            "trustcap/__init__.py": "",
            "trustcap/cli.py": "def main(): ...\n",
        },
    )
    problems = wrong_way_imports(root)
    assert any(p.startswith(found) for p in problems), problems


def test_a_planted_circle_is_found(tmp_path):
    # the old circle: cli -> benchmark -> cli (a lazy import is an arrow too)
    root = _house(
        tmp_path,
        {
            "trustcap/__init__.py": "",
            "trustcap/cli.py": "from trustcap.benchmark import run\n",
            "trustcap/benchmark.py": "def run():\n    from trustcap import cli\n",
            "trustcap/summary.py": "from . import run_helpers\n",
            "trustcap/run_helpers.py": "",
        },
    )
    assert import_circles(root) == [["trustcap.benchmark", "trustcap.cli"]]
    assert wrong_way_imports(root) == []
