"""Faults injected into a real embedded stack (tests/stack_driver.py): `pdca up --no-worker` with a
separate `pdca worker` process that the tests kill with SIGKILL, a notice channel that blocks until the
worker is dead, an audit database locked by the test (BEGIN EXCLUSIVE), the whole stack killed and
started again on the same data directory. After each: every stream's version in Temporal (its
workflow's ``state`` query) equals its audit rows, `pdca audit verify` passes, no notice went out twice.

The tests of this module share one stack and run in order (each leaves the stack as the next needs it).
Kill → recovery waits are Temporal's: a killed activity attempt is retried after its start-to-close
timeout (notices 30 s, audit appends 60 s), so the module takes about three minutes.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.stack_driver import EXAMPLES, FAST_POLICY, PDCA, Stack, free_ports, pdca

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kill -9 and /proc: Linux")

CASE_A = "rect-V001-2026"


# ----------------------------------------------------------------------------- a channel that can hang


class HangingInbox:
    """A webhook receiver on 127.0.0.1. Every POST is recorded when it arrives; while ``hang_on`` names
    an event type, the first such POST is held open (the sender waits) until ``release()``."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.hang_on: str | None = None
        self.hanging = threading.Event()  # a POST is being held
        self._release = threading.Event()
        self._lock = threading.Lock()
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8"))
                with inbox._lock:
                    inbox.posts.append({**body, "idempotency_key": self.headers.get("Idempotency-Key")})
                    hang = inbox.hang_on is not None and body.get("event_type") == inbox.hang_on
                    if hang:
                        inbox.hang_on = None
                if hang:
                    inbox.hanging.set()
                    inbox._release.wait(timeout=300)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:  # the sender died meanwhile
                    pass

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/notices"

    def release(self) -> None:
        self._release.set()

    def keys(self) -> list[str]:
        with self._lock:
            return [str(p["idempotency_key"]) for p in self.posts]

    def received(self, event_type: str, case_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [p for p in self.posts if p.get("event_type") == event_type and p.get("case_id") == case_id]

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


# ----------------------------------------------------------------------------- the stack and its worker


@dataclass
class World:
    stack: Stack
    inbox: HangingInbox
    home: Path
    workers: list[subprocess.Popen[str]] = field(default_factory=list)
    worker_logs: list[Path] = field(default_factory=list)

    @property
    def worker_env(self) -> dict[str, str]:
        # the stack's own metrics ports are taken by `pdca up`: the worker serves none
        return {**self.stack.env, "PDCA_METRICS_PORT": "0", "PDCA_SDK_METRICS_PORT": "0"}

    def start_worker(self) -> subprocess.Popen[str]:
        log = self.home.parent / f"worker-{len(self.workers) + 1}.log"
        with open(log, "w", encoding="utf-8") as out:
            process = subprocess.Popen(
                [str(PDCA), "worker"], env=self.worker_env, stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True
            )
        self.workers.append(process)
        self.worker_logs.append(log)
        return process

    def wait_worker_ready(self, process: subprocess.Popen[str], timeout: float = 180) -> None:
        log = self.worker_logs[self.workers.index(process)]
        until(lambda: "worker_started" in log.read_text(encoding="utf-8", errors="replace"), timeout, f"worker {process.pid}", process)

    def kill_worker(self, process: subprocess.Popen[str]) -> None:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def cli(self, *args: str, as_: str | None = None, ok: bool = True, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        return self.stack.cli(*args, as_=as_, ok=ok, timeout=timeout)


def until(condition: Callable[[], Any], timeout: float, what: str, process: subprocess.Popen[str] | None = None) -> Any:
    """Poll ``condition`` until it is truthy (generous limits: the machine is shared and slow)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the process exited ({process.returncode})")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.25)


def port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def plan_file(path: Path, m1_deadline: datetime) -> Path:
    path.write_text(
        f"""summary: 一村一策
measures:
  - id: M1
    description: 调整充实村“两委”班子
    problems: [P1]
    responsible: chen.branch
    deadline: {m1_deadline.isoformat()}
  - id: M2
    description: 成立劳务合作社
    problems: [P2]
    responsible: liu.first
    deadline: 2099-06-30
""",
        encoding="utf-8",
    )
    return path


class HeldLock:
    """BEGIN EXCLUSIVE on the audit database, held by the test until ``release()``."""

    def __init__(self, db: Path) -> None:
        self.connection = sqlite3.connect(db, timeout=60, isolation_level=None)
        self.connection.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        self.connection.execute("ROLLBACK")
        self.connection.close()


# ----------------------------------------------------------------------------- the checks after each fault


def audit_rows(home: Path) -> dict[str, tuple[int, int]]:
    """Per stream in the audit database: (row count, highest version)."""
    with sqlite3.connect(f"file:{home / 'audit.db'}?mode=ro", uri=True, timeout=60) as connection:
        rows = connection.execute("SELECT stream_id, COUNT(*), MAX(version) FROM audit_event GROUP BY stream_id").fetchall()
    return {stream: (count, top) for stream, count, top in rows}


TEMPORAL_VERSIONS = """
import asyncio, json, os, sys
from service.bootstrap import connect

async def main() -> None:
    client = await connect()
    out = {}
    for stream_id in sys.argv[1:]:
        state = await client.get_workflow_handle(stream_id).query("state")
        out[stream_id] = state["version"] if isinstance(state, dict) else state.version
    print(json.dumps(out), flush=True)

asyncio.run(main())
os._exit(0)  # the SDK's runtime threads can crash the interpreter's finalization (cli.common.run_then_exit)
"""


def temporal_versions(world: World, stream_ids: list[str]) -> dict[str, int]:
    """Each stream's version as its workflow holds it (the ``state`` query, through the project's client)."""
    result = subprocess.run(
        [sys.executable, "-c", TEMPORAL_VERSIONS, *stream_ids],
        env=world.stack.env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr
    return {k: int(v) for k, v in json.loads(result.stdout).items()}


def assert_consistent(world: World) -> None:
    """Temporal and the audit log agree on every stream; the chain verifies; no notice went out twice."""
    rows = audit_rows(world.home)
    assert CASE_A in rows
    versions = temporal_versions(world, sorted(rows))
    for stream_id, (count, top) in rows.items():
        assert count == top, f"{stream_id}: {count} audit rows but version {top}"
        assert versions[stream_id] == count, f"{stream_id}: Temporal at version {versions[stream_id]}, audit log has {count} rows"
    verified = world.cli("audit", "verify", "--json")  # exit 0 (ok=True): the chain and every stream's versions check
    report = json.loads(verified.stdout)
    assert report.get("ok", True) is not False and not report.get("problems"), report
    keys = world.inbox.keys()
    assert len(keys) == len(set(keys)), f"a notice went out twice: {sorted(k for k in keys if keys.count(k) > 1)}"


# ----------------------------------------------------------------------------- the module's stack


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("faults")
    home = root / "home"
    home.mkdir()
    try:  # the payload key `pdca up` makes (another part of the product); made here in case it does not yet
        from store.payload_codec import PayloadKeys

        PayloadKeys(home / "payload-keys").ensure()
    except ImportError:
        pass
    inbox = HangingInbox()
    (home / "channels.yaml").write_text(
        f"default_channels: [fault-inbox]\ntimeout_seconds: 25\nchannels:\n  fault-inbox:\n    type: webhook\n    url: {inbox.url}\n",
        encoding="utf-8",
    )
    (home / "policy.yaml").write_text(FAST_POLICY, encoding="utf-8")
    env = {
        "PDCA_CHANNELS": str(home / "channels.yaml"),
        "PDCA_POLICY": str(home / "policy.yaml"),
        "PDCA_ALLOW_PRIVATE_URLS": "1",
    }
    temporal, api, metrics, sdk_metrics = free_ports(4)
    stack = Stack(home, temporal, api, metrics, sdk_metrics, None, env, up_args=("--no-worker",))
    world = World(stack, inbox, home)
    # `pdca up --no-worker` waits for a worker to make the first administrator: start one beside it as
    # soon as the dev server listens
    starter = threading.Thread(
        target=lambda: (until(lambda: port_open(temporal), 180, "dev server port"), world.start_worker()), daemon=True
    )
    starter.start()
    try:
        stack.start(timeout=240)
        starter.join(timeout=10)
        stack.sign_in_admin()
        passwords = stack.import_people(sign_in=False)
        for person in ("wang.sup", "zhao.town", "chen.branch"):  # only who acts here: each sign-in costs seconds
            stack.sign_in(person, passwords[person])
        yield world
    finally:
        for process in world.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        stack.stop()
        inbox.close()


# ----------------------------------------------------------------------------- the tests, in order


def test_a_second_pdca_up_on_the_same_data_directory_says_one_is_running(world: World) -> None:
    assert world.stack.process is not None
    temporal, api = free_ports(2)
    second = pdca(
        world.stack.env, "up", "--port", str(temporal), "--api-port", str(api), "--metrics-port", "0",
        "--sdk-metrics-port", "0", "--no-ui", ok=False, timeout=120,
    )  # fmt: skip
    assert second.returncode == 3, second.stderr
    assert "已有一个 pdca up 在运行" in second.stderr and f"pid {world.stack.process.pid}" in second.stderr
    assert "already running" in second.stderr


def test_the_data_directory_and_its_files_are_private(world: World) -> None:
    assert (world.home.stat().st_mode & 0o777) == 0o700
    for name in ("audit.db", "audit.db-wal", "audit.db-shm", "temporal.db", "temporal-server.log", "pdca-up.pid"):
        path = world.home / name
        if path.exists():
            assert (path.stat().st_mode & 0o777) == 0o600, name


def test_a_locked_audit_database_makes_a_command_give_up_at_its_timeout_and_say_why(world: World, tmp_path: Path) -> None:
    world.cli("case", "open", str(EXAMPLES / "case-V001.yaml"), as_="wang.sup")
    world.cli("case", "plan", "submit", CASE_A, str(plan_file(tmp_path / "plan.yaml", datetime(2099, 1, 1, tzinfo=UTC))), as_="chen.branch")

    lock = HeldLock(world.home / "audit.db")
    try:
        began = time.monotonic()
        slow = world.cli(
            "case", "plan", "approve", CASE_A, "--timeout", "8", "--request-id", "approve-locked", as_="zhao.town", ok=False
        )
        waited = time.monotonic() - began
    finally:
        lock.release()
    assert slow.returncode == 3, slow.stdout + slow.stderr
    assert "案件 rect-V001-2026 未在 8 秒内答复：工作进程写审计库慢（数据库被锁？）" in slow.stderr, slow.stderr
    assert "--request-id approve-locked" in slow.stderr and "may still complete" in slow.stderr
    assert waited < 8 + 25, f"gave up after {waited:.0f} s with --timeout 8"  # 8 s, the CLI's start and one describe

    # the command was not lost, nor applied twice: the same request id answers with its result
    again = json.loads(world.cli("case", "plan", "approve", CASE_A, "--request-id", "approve-locked", "--json", as_="zhao.town").stdout)
    assert again["request_id"] == "approve-locked" and again["stage"] == "implementing"
    history = [e["event_type"] for e in json.loads(world.cli("case", "history", CASE_A, "--json").stdout)]
    assert history.count("PlanApproved") == 1
    assert_consistent(world)


def test_worker_killed_during_a_command_and_during_a_notice(world: World) -> None:
    worker = world.workers[-1]
    # a notice that hangs in the channel: extending a deadline tells the people of the measure at once
    world.inbox.hang_on = "DeadlineExtended"
    world.cli("case", "extend", CASE_A, "-m", "M2", "--by", "10d", "--reason", "汛期施工暂停", as_="wang.sup")
    until(world.inbox.hanging.is_set, 120, "the notice reached the hanging channel")

    # a command whose audit append is stuck on the locked database when the worker dies
    lock = HeldLock(world.home / "audit.db")
    try:
        stuck = world.cli(
            "case", "progress", CASE_A, "M1", "--note", "推进中", "--timeout", "5", "--request-id", "progress-killed",
            as_="chen.branch", ok=False,
        )  # fmt: skip
        assert stuck.returncode == 3 and "工作进程写审计库慢" in stuck.stderr, stuck.stderr
        world.kill_worker(worker)  # kill -9 mid-append and mid-send
    finally:
        lock.release()
        world.inbox.release()
    replacement = world.start_worker()
    world.wait_worker_ready(replacement)

    # the command completes once: Temporal retries the lost append attempt on the new worker
    done = json.loads(
        world.cli("case", "progress", CASE_A, "M1", "--note", "推进中", "--request-id", "progress-killed", "--timeout", "200", "--json",
                  as_="chen.branch").stdout
    )  # fmt: skip
    assert done["request_id"] == "progress-killed"
    history = [e["event_type"] for e in json.loads(world.cli("case", "history", CASE_A, "--json").stdout)]
    assert history.count("ProgressReported") == 1, history

    # the notice: its retry found it "sending" from the dead attempt: uncertain, not sent again
    held = [p for p in world.inbox.received("DeadlineExtended", CASE_A)][0]  # the copy in flight when the worker died

    def uncertain() -> list[dict[str, Any]]:
        status = json.loads(world.cli("notify", "status", "--since", "all", "--json").stdout)
        return [u for u in status["uncertain"] if u["case_id"] == CASE_A and u["event_type"] == "DeadlineExtended"]

    listed = until(uncertain, 150, "the interrupted notice marked uncertain")
    assert [u["recipient"] for u in listed] == [held["recipient"]]
    copies = [p["recipient"] for p in world.inbox.received("DeadlineExtended", CASE_A)]
    assert copies.count(held["recipient"]) == 1, copies  # not sent again by the retry
    assert_consistent(world)


def test_the_whole_stack_killed_and_started_again_on_the_same_data_directory(world: World) -> None:
    stack = world.stack
    assert stack.process is not None
    pid = stack.process.pid
    record = json.loads((world.home / "pdca-up.pid").read_text(encoding="utf-8"))
    assert record["pid"] == pid and [c["role"] for c in record["children"]] == ["temporal"]
    server = record["children"][0]["pid"]
    for process in world.workers:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    os.kill(pid, signal.SIGKILL)  # `pdca up` alone: its dev server is in a session of its own
    stack.process.wait(timeout=30)
    # the dev server does not outlive it (parent-death signal); the next `pdca up` would stop it anyway
    until(lambda: not Path(f"/proc/{server}").exists() or "State:\tZ" in Path(f"/proc/{server}/status").read_text(), 60, "dev server gone")

    stack.up_args = ()  # this time with its own worker
    stack.start(timeout=240)
    assert not any("already in use" in line for line in stack.lines), "".join(stack.lines)
    shown = json.loads(world.cli("case", "show", CASE_A, "--json").stdout)
    assert shown["stage"] == "implementing"
    world.cli("case", "progress", CASE_A, "M1", "--note", "重启后继续", as_="chen.branch")
    assert_consistent(world)
