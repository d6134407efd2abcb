"""deploy/docker-compose.yml, the Dockerfile and .dockerignore, checked without a Docker engine."""

from __future__ import annotations

import ast
import fnmatch
import functools
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from .support import COMPOSE_FILE, DEPLOY, ROOT, load_yaml, tool

VARIABLE = re.compile(r"(?<!\$)\$\{([^}]+)\}|(?<!\$)\$([A-Za-z_]\w*)")


def compose_config(env: dict[str, str] | None = None, *args: str) -> subprocess.CompletedProcess[str]:
    # A bare environment: the file must not depend on variables set on this machine.
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [tool("docker-compose"), "-f", str(COMPOSE_FILE), "config", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, **(env or {})},
        cwd=ROOT,
    )


@functools.cache
def resolved() -> dict:
    result = compose_config()
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_docker_compose_validates_the_file() -> None:
    result = compose_config(None, "-q")
    assert result.returncode == 0, result.stderr
    assert "is not set" not in result.stderr, result.stderr


def test_every_variable_has_a_default() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    without_comments = "\n".join(line.split(" #", 1)[0] for line in text.splitlines() if not line.lstrip().startswith("#"))
    for match in VARIABLE.finditer(without_comments):
        expression = match.group(1) or match.group(2)
        assert ":-" in expression, f"${{{expression}}} has no default (write ${{NAME:-default}})"


def test_variables_override_the_defaults() -> None:
    config = yaml.safe_load(
        compose_config(
            {"TEMPORAL_ADDRESS": "temporal.example:7233", "AUDIT_DB_HOST": "db.example", "AUDIT_DB_PASSWORD": "s3cret",
             "AUDIT_DB_APP_PASSWORD": "app-s3cret"}
        ).stdout
    )
    worker = config["services"]["worker"]["environment"]
    assert worker["TEMPORAL_ADDRESS"] == "temporal.example:7233"
    assert worker["PDCA_DATABASE_URL"] == "postgresql://pdca_app:app-s3cret@db.example:5432/pdca"
    setup = config["services"]["pdca-setup"]["environment"]
    assert setup["PDCA_MIGRATION_DATABASE_URL"] == "postgresql://pdca:s3cret@db.example:5432/pdca"


def test_the_app_runs_as_a_role_that_owns_nothing() -> None:
    """docs/security.md "Least privilege on PostgreSQL": only the one-shots hold the owner's password."""
    services = resolved()["services"]
    owner_url = services["pdca-setup"]["environment"]["PDCA_MIGRATION_DATABASE_URL"]
    assert owner_url.startswith("postgresql://pdca:")
    for name in ("worker", "console"):
        env = services[name]["environment"]
        assert env["PDCA_DATABASE_URL"].startswith("postgresql://pdca_app:"), name
        assert "PDCA_MIGRATION_DATABASE_URL" not in env and "PDCA_DATABASE_APP_ROLE" not in env, name
    # the app role exists before the migration grants it, and the migration grants it
    setup = services["pdca-setup"]
    assert setup["environment"]["PDCA_DATABASE_APP_ROLE"] == "pdca_app"
    assert setup["depends_on"]["audit-db-roles"]["condition"] == "service_completed_successfully"
    roles = services["audit-db-roles"]
    assert roles["environment"]["PGUSER"] == "pdca" and roles["environment"]["APP_USER"] == "pdca_app"
    assert any(str(v).endswith("roles.sql:/pdca/roles.sql:ro") for v in roles["volumes"])
    sql_text = (DEPLOY / "audit-db" / "roles.sql").read_text(encoding="utf-8")
    statements = [line for line in sql_text.splitlines() if line.strip() and not line.startswith("--")]
    assert "NOSUPERUSER" in sql_text and "NOCREATEROLE" in sql_text
    assert not [line for line in statements if line.upper().startswith("GRANT")]  # table grants: `pdca migrate`'s


def test_the_stack_has_the_issue_services() -> None:
    services = resolved()["services"]
    assert set(services) >= {
        "temporal-db",
        "temporal",
        "temporal-ui",
        "temporal-setup",
        "audit-db",
        "pdca-setup",
        "worker",
        "prometheus",
        "grafana",
    }
    assert services["temporal"]["image"].startswith("temporalio/auto-setup:")
    assert services["temporal"]["environment"]["DB"] == "postgres12"
    assert services["temporal"]["environment"]["POSTGRES_SEEDS"] == "temporal-db"
    assert services["temporal-ui"]["image"].startswith("temporalio/ui:")
    assert services["temporal-setup"]["image"].startswith("temporalio/admin-tools:")
    assert services["prometheus"]["image"].startswith("prom/prometheus:")
    assert services["grafana"]["image"].startswith("grafana/grafana:")
    # Temporal and the audit log each have their own PostgreSQL server.
    assert services["temporal-db"]["volumes"] != services["audit-db"]["volumes"]
    assert "audit-db" in services["worker"]["environment"]["PDCA_DATABASE_URL"]


def test_workers_can_be_scaled_out() -> None:
    services = resolved()["services"]
    worker = services["worker"]
    assert "ports" not in worker, "published ports would clash between replicas: Prometheus scrapes them over the network"
    assert "container_name" not in worker
    env = worker["environment"]
    assert env["PDCA_METRICS_ADDR"] == "0.0.0.0"
    assert env["PDCA_LOG_FORMAT"] == "json"
    assert (env["PDCA_METRICS_PORT"], env["PDCA_SDK_METRICS_PORT"]) == ("9464", "9465")
    # The schema and the search attributes are set up once, before any replica starts.
    assert worker["depends_on"]["pdca-setup"]["condition"] == "service_completed_successfully"
    assert services["pdca-setup"]["depends_on"]["temporal-setup"]["condition"] == "service_completed_successfully"
    assert "pdca migrate" in " ".join(services["pdca-setup"]["command"])


def test_bind_mounts_exist_in_the_repository() -> None:
    services = load_yaml(COMPOSE_FILE)["services"]
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name} mounts {source}, which does not exist"
        build = service.get("build")
        if build:
            context = (DEPLOY / build["context"]).resolve()
            assert (context / build.get("dockerfile", "Dockerfile")).is_file()


def test_prometheus_and_grafana_mounts_match_their_configs() -> None:
    services = resolved()["services"]
    prometheus = services["prometheus"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    assert f"{DEPLOY / 'prometheus'}:/etc/prometheus:ro" in prometheus["volumes"]
    grafana = services["grafana"]
    assert f"{DEPLOY / 'grafana' / 'provisioning'}:/etc/grafana/provisioning:ro" in grafana["volumes"]
    assert grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"] == "/etc/grafana/dashboards/pdca/pdca.json"


# ----------------------------------------------------------------------------- Dockerfile


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
        for line in (raw.strip() for raw in text.splitlines())
        if line and not line.startswith("#")
    ]


def test_dockerfile_builds_the_worker_the_issue_describes() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    runs = " && ".join(args for op, args in instructions if op == "RUN")
    assert re.search(r"pip install (\.|/src)(\s|$)", runs), runs
    cmd = next(args for op, args in reversed(instructions) if op == "CMD")
    assert re.search(r"pdca migrate && exec pdca worker", cmd), cmd
    env = " ".join(args for op, args in instructions if op == "ENV")
    assert "PDCA_METRICS_ADDR=0.0.0.0" in env and "PDCA_LOG_FORMAT=json" in env


def build_context_files() -> set[str]:
    """Files that reach the image through `COPY . /src`, after .dockerignore."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(relative: str) -> bool:
        parts = relative.split("/")
        for pattern in patterns:
            bare = pattern.removeprefix("**/")
            for depth in range(1, len(parts) + 1):
                prefix = "/".join(parts[:depth])
                if fnmatch.fnmatchcase(prefix, pattern) or (pattern.startswith("**/") and fnmatch.fnmatchcase(parts[depth - 1], bare)):
                    return True
        return False

    files = set()
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel_dir = os.path.relpath(dirpath, ROOT)
        dirnames[:] = [d for d in dirnames if not ignored(os.path.normpath(os.path.join(rel_dir, d)))]
        for filename in filenames:
            relative = os.path.normpath(os.path.join(rel_dir, filename))
            if not ignored(relative):
                files.add(relative)
    return files


def installed_modules(files: set[str]) -> set[str]:
    """Top-level modules and packages `pip install .` installs from the build context, as setuptools
    reads pyproject.toml (packages.find, py-modules)."""
    script = (
        "import json, sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "from setuptools.config.pyprojecttoml import read_configuration\n"
        "tool = read_configuration('pyproject.toml', expand=True)['tool']['setuptools']\n"
        "print(json.dumps({'packages': tool.get('packages', []), 'modules': tool.get('py-modules', [])}))\n"
    )
    # Run in a copy of the build context, so that packages.find only sees what the image gets.
    import json
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for relative in files:
            if relative.endswith((".py", ".toml", ".md", ".mako")):
                target = Path(tmp) / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / relative, target)
        result = subprocess.run([sys.executable, "-c", script], cwd=tmp, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    return set(found["packages"]) | set(found["modules"])


def local_imports(module_file: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(module_file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {name for name in names if (ROOT / name.split(".")[0]).is_dir() or (ROOT / f"{name.split('.')[0]}.py").is_file()}


def test_the_image_installs_every_module_the_worker_and_cli_import() -> None:
    files = build_context_files()
    assert {"pyproject.toml", "README.md", "worker.py"} <= files  # README.md: pyproject's readme
    assert not any(f.startswith((".venv/", ".git/", "tests/")) for f in files)
    installed = installed_modules(files)
    # Everything reachable by imports from the two entry points (`pdca worker`, `pdca ...`).
    pending = [ROOT / "worker.py", ROOT / "cli" / "main.py"]
    seen: set[Path] = set()
    missing = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in local_imports(path):
            package = name.rsplit(".", 1)[0] if (ROOT / f"{name.replace('.', '/')}.py").is_file() else name
            top = name.split(".")[0]
            if package not in installed and top not in installed:
                missing.add(name)
            for candidate in (ROOT / f"{name.replace('.', '/')}.py", ROOT / name.replace(".", "/") / "__init__.py"):
                if candidate.is_file():
                    pending.append(candidate)
    assert not missing, f"`pip install .` in the image would not install: {sorted(missing)} (pyproject.toml packages.find)"
    assert "store.migrations.versions" in installed  # Alembic revisions: `pdca migrate` needs them


def test_the_console_serves_the_api_and_pages_with_its_evidence_volume() -> None:
    services = resolved()["services"]
    console = services["console"]
    assert console["command"] == ["pdca", "serve"]
    env = console["environment"]
    assert env["PDCA_API_ADDR"] == "0.0.0.0" and env["PDCA_PUBLIC_URL"].startswith("http")
    assert "audit-db" in env["PDCA_DATABASE_URL"]
    targets = {v["target"] if isinstance(v, dict) else v.split(":")[1] for v in console["volumes"]}
    assert env["PDCA_EVIDENCE_DIR"] in targets and "/var/lib/pdca" in targets
