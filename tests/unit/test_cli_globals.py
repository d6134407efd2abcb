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
from domain.actors import Actor, Role
from tests.identity import sign_in

PDCA = str(Path(sys.executable).parent / "pdca")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in ("PDCA_DATABASE_URL", "PDCA_ACTOR", "PDCA_LANG", "TEMPORAL_PROFILE", "TEMPORAL_CONFIG_FILE", "TEMPORAL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PDCA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PDCA_ACTORS", str(EXAMPLES / "actors.yaml"))
    sign_in(tmp_path / "home" / "credentials", Actor(id="wang.sup", roles=[Role.SUPERVISOR]))  # as `pdca login` leaves it
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
    assert json.loads(after[1])["rows"] == [] and json.loads(after[1])["total"] == 0
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
    for variable in ("PDCA_ACTOR", "PDCA_LANG", "PDCA_DATABASE_URL"):
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
    assert nobody.returncode == 1 and nobody.stderr.startswith("error: not signed in: nobody is not signed in on this machine")
    claimed = subprocess.run([*command, "--actors", "evil.yaml"], env=down, capture_output=True, text=True, timeout=60, check=False)
    assert claimed.returncode == 2 and "--actors" in claimed.stderr  # a directory the caller wrote is no longer an option


def test_database_errors_are_one_line_refused_or_unavailable(env: dict[str, str], tmp_path: Path) -> None:
    # a database without its tables: refused (1), with what to run
    (tmp_path / "empty.db").touch()
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    code, _, err = invoke("case", "list", "--db", empty, "--lang", "en")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "not ready" in err and "`pdca up` or `pdca migrate`" in err
    # no database file at all: refused the same way, and a read creates nothing (no file, no directory)
    missing = tmp_path / "nowhere" / "audit.db"
    code, _, err = invoke("case", "list", "--db", f"sqlite:///{missing}", "--lang", "en")
    assert code == 1 and "is not ready (no such file): run `pdca up` or `pdca migrate`" in err
    assert not missing.parent.exists()
    # a URL this program cannot use: refused, naming the option and the variable
    for url in ("nonsense://x", "garbage"):
        code, _, err = invoke("case", "list", "--db", url, "--lang", "en")
        assert code == 1 and len(err.strip().splitlines()) == 1 and "--db / PDCA_DATABASE_URL" in err, err
    # a database server nobody answers on: unavailable (3), named with its password masked
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    down = f"postgresql://pdca:s3cret@127.0.0.1:{closed}/audit"
    for args in (("migrate",), ("case", "list")):
        code, _, err = invoke(*args, "--db", down, "--lang", "en")
        assert code == 3, err
        assert len(err.strip().splitlines()) == 1 and err.startswith("error: cannot use the audit database postgresql")
        assert "s3cret" not in err and "***" in err


def test_a_metrics_port_in_use_is_refused_before_anything_starts(env: dict[str, str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        up = [PDCA, "up", "--port", "1", "--no-ui", "--metrics-port", str(port), "--sdk-metrics-port", "0"]
        result = subprocess.run(up, env=env, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 3 and f"port {port} (--metrics-port" in result.stderr
        worker = subprocess.run(
            [PDCA, "worker"], env={**env, "PDCA_METRICS_PORT": str(port)}, capture_output=True, text=True, timeout=60, check=False
        )
        assert worker.returncode == 3 and "PDCA_METRICS_PORT" in worker.stderr


def test_audit_checkpoint_to_an_unwritable_directory_is_refused(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from store.db import make_engine
    from store.eventlog import AuditLog, NewEvent

    assert invoke("migrate")[0] == 0
    code, _, err = invoke("audit", "checkpoint", "--lang", "en")
    assert code == 1 and err.startswith("error: the audit log is empty: nothing to anchor yet")
    engine = make_engine(f"sqlite:///{tmp_path / 'home' / 'audit.db'}")
    AuditLog(engine).append("s1", 0, [NewEvent("e1", "Noted", "tester", "{}")])
    engine.dispose()
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("PDCA_CHECKPOINT_DIR", str(tmp_path / "a-file" / "checkpoints"))
    code, _, err = invoke("audit", "checkpoint", "--lang", "en")
    assert code == 1 and len(err.strip().splitlines()) == 1 and err.startswith("error: cannot write a checkpoint to"), err


def test_audit_rebuild_counts_streams(env: dict[str, str]) -> None:
    assert invoke("migrate")[0] == 0
    code, out, _ = invoke("audit", "rebuild", "--lang", "en")
    assert code == 0 and "rebuilt the ledgers of 0 stream(s) (cases, projects and campaigns)" in out
    code, out, _ = invoke("audit", "rebuild")
    assert code == 0 and "条记录流（案件、项目和年度整顿）" in out


def test_exit_codes_follow_the_error_class() -> None:
    from cli.common import REFUSED, UNAVAILABLE, exit_code
    from service.errors import Closed, NotFound, Refused, Unavailable
    from settings.errors import InputError

    assert exit_code(Unavailable("x")) == UNAVAILABLE == 3
    assert {exit_code(e) for e in (Refused("x"), NotFound("x", "rect-X-2026"), Closed("x"), InputError("x"))} == {REFUSED}
