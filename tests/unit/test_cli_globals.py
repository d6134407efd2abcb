"""The CLI framework (cli/common.py): global options anywhere on the line, JSON output, --version, exit codes.

Commands that would reach Temporal run as a real `pdca` process (they end with ``os._exit``); the rest
through Typer's runner.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.common import hoist
from cli.main import app

PDCA = str(Path(sys.executable).parent / "pdca")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in ("PDCA_DATABASE_URL", "PDCA_ACTOR", "PDCA_LANG", "TEMPORAL_PROFILE", "TEMPORAL_CONFIG_FILE", "TEMPORAL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PDCA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PDCA_ACTORS", str(EXAMPLES / "actors.yaml"))
    return dict(os.environ)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_hoist_moves_global_options_and_their_values_to_the_front() -> None:
    line = ["case", "show", "rect-V001-2026", "--json", "--lang", "en", "--db=sqlite://", "-oj", "--as", "wang.sup"]
    assert hoist(line) == ["--json", "--lang", "en", "--db=sqlite://", "-oj", "--as", "wang.sup", "case", "show", "rect-V001-2026"]
    # other options keep their place; `--` ends the hoisting
    assert hoist(["case", "close", "X", "--note", "n", "--timeout", "5"]) == ["--timeout", "5", "case", "close", "X", "--note", "n"]
    assert hoist(["case", "close", "--", "--json"]) == ["case", "close", "--", "--json"]


def test_global_options_anywhere_on_the_line(env: dict[str, str]) -> None:
    assert invoke("migrate")[0] == 0
    before = invoke("--json", "--lang", "en", "case", "list")
    after = invoke("case", "list", "--lang", "en", "-o", "json")
    assert before[0] == after[0] == 0 and before[1] == after[1]
    assert json.loads(after[1]) == []
    table = invoke("case", "list", "--lang", "en")[1]
    assert "0 case(s)" in table


def test_operations_print_json_too(env: dict[str, str]) -> None:
    code, out, _ = invoke("migrate", "--json")
    assert code == 0 and json.loads(out)["migrated"] is True
    code, out, _ = invoke("audit", "verify", "-o", "json")
    assert code == 0 and json.loads(out)["ok"] is True
    code, out, _ = invoke("policy", "check", str(EXAMPLES / "policy.yaml"), "--json")
    assert code == 0 and json.loads(out)["ok"] is True


def test_version_is_the_installed_distribution() -> None:
    result = subprocess.run([PDCA, "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0
    assert result.stdout.strip() == f"pdca {metadata.version('pdca-rectification')}"


def test_help_names_each_global_option_s_environment_variable() -> None:
    code, out, _ = invoke("--help")
    assert code == 0
    for variable in ("PDCA_ACTOR", "PDCA_ACTORS", "PDCA_LANG", "PDCA_DATABASE_URL"):
        assert variable in out
    assert "Exit codes" in out


def test_exit_codes_refused_usage_unavailable(env: dict[str, str]) -> None:
    assert invoke("migrate")[0] == 0
    code, _, err = invoke("case", "show", "rect-NOPE-2026", "--lang", "en")
    assert code == 1 and err.strip() == "error: unknown case rect-NOPE-2026"  # one line
    assert invoke("case", "nonsense")[0] == 2

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    down = {**env, "TEMPORAL_ADDRESS": f"127.0.0.1:{closed}"}
    command = [PDCA, "case", "plan", "approve", "rect-V001-2026", "--timeout", "2"]
    unreachable = subprocess.run([*command, "--as", "wang.sup"], env=down, capture_output=True, text=True, timeout=60, check=False)
    assert unreachable.returncode == 3, unreachable.stderr
    assert unreachable.stderr.startswith("错误：cannot reach Temporal at 127.0.0.1:")
    nobody = subprocess.run([*command, "--as", "nobody", "--lang", "en"], env=down, capture_output=True, text=True, timeout=60, check=False)
    assert nobody.returncode == 1 and nobody.stderr.startswith("error: unknown actor 'nobody'")
