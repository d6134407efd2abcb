"""The layers, checked from the source: what may import what.

    domain/      pure rules: no I/O library, no Temporal, no clock, no import cycle, nothing above it
    workflows/   orchestration: I/O only through activities (imported inside imports_passed_through)
    activities/, store/, settings/, i18n/, reports/, observability/: never the CLI or the service layer
    service/     the one door below every entry point: never the CLI
    cli/         screens: no tables (no SQLAlchemy/SQLModel), no worker, no deciding
    web/         pages: the same, and no Temporal client of their own
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def modules(package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def imports(path: Path, top_level_only: bool = False) -> set[str]:
    """Absolute module names imported by a file (``top_level_only``: not inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_domain_imports_no_infrastructure_and_reads_no_clock() -> None:
    forbidden = ("temporalio", "sqlmodel", "sqlalchemy", "structlog", "prometheus_client", "httpx", "psycopg", "yaml")
    for name, path in modules("domain"):
        bad = sorted(i for i in imports(path) if i.split(".")[0] in forbidden)
        assert not bad, f"{name} imports {bad}"
        source = path.read_text(encoding="utf-8")
        assert "datetime.now(" not in source and "date.today(" not in source and "__import__(" not in source, name


def test_domain_has_no_import_cycle() -> None:
    known = dict(modules("domain"))
    graph = {name: {i for i in imports(path) if i in known and i != name} for name, path in known.items()}

    def cycle_from(start: str) -> list[str] | None:
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    return [*trail, start]
                if nxt not in trail:
                    stack.append((nxt, [*trail, nxt]))
        return None

    for name in graph:
        # a package's __init__ importing its own modules is not a cycle unless they import it back
        cycle = cycle_from(name)
        assert cycle is None, " → ".join(cycle or [])


BELOW_THE_SERVICE = ["domain", "workflows", "activities", "store", "settings", "i18n", "reports", "observability"]


@pytest.mark.parametrize("package", [*BELOW_THE_SERVICE, "service"])
def test_nothing_below_the_cli_imports_it(package: str) -> None:
    for name, path in modules(package):
        bad = sorted(i for i in imports(path) if i == "cli" or i.startswith("cli."))
        assert not bad, f"{name} imports {bad}"


@pytest.mark.parametrize("package", BELOW_THE_SERVICE)
def test_nothing_below_the_service_layer_imports_it(package: str) -> None:
    for name, path in modules(package):
        bad = sorted(i for i in imports(path) if i == "service" or i.startswith("service."))
        assert not bad, f"{name} imports {bad}"


def test_the_cli_touches_no_table_and_no_worker() -> None:
    for name, path in modules("cli"):
        bad = sorted(i for i in imports(path) if i.split(".")[0] in {"sqlmodel", "sqlalchemy", "worker"})
        assert not bad, f"{name} imports {bad}"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def runtime_imports(path: Path) -> set[str]:
    """Absolute module names a file imports when it runs: not those under ``if TYPE_CHECKING:``
    (annotations only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner) for node in ast.walk(tree) if isinstance(node, ast.If) and _is_type_checking(node.test) for inner in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_cli_reaches_temporal_activities_and_the_store_only_through_the_service() -> None:
    """The CLI hands the service a ``Deps`` and prints what comes back: it imports no ``temporalio``, no
    ``activities`` and no ``store`` (a screen may name a row type for annotations, under TYPE_CHECKING)."""
    for name, path in modules("cli"):
        bad = sorted(i for i in runtime_imports(path) if i.split(".")[0] in {"temporalio", "activities", "store"})
        assert not bad, f"{name} imports {bad}"


def test_the_console_reaches_the_store_activities_and_temporal_only_through_the_service() -> None:
    """web/ renders what the service answers: no tables, no activities, no workflows, no Temporal client."""
    below = {"temporalio", "activities", "store", "workflows", "sqlalchemy", "sqlmodel"}
    for name, path in modules("web"):
        bad = sorted(i for i in runtime_imports(path) if i.split(".")[0] in below)
        assert not bad, f"{name} imports {bad}"
