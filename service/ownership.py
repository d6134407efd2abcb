"""What `pdca up` owns in its data directory: its children, its lock, its files.

- ``die_with_parent``: a ``preexec_fn`` that makes a child get SIGTERM when `pdca up` dies, however it
  dies (``kill -9`` included): Linux ``prctl(PR_SET_PDEATHSIG)``; elsewhere nothing.
- ``claim(data_dir)``: one `pdca up` per data directory. An exclusive ``flock`` on DATA_DIR/pdca-up.lock,
  held for the life of the process (the kernel releases it when the process dies, ``kill -9`` included),
  so a second `pdca up` learns at once that one is running, and which (``AlreadyRunning``, with the pid
  from the pidfile). The first, holding the lock, knows that any child a previous run left behind is
  stale: it stops a recorded child only if ``/proc/<pid>`` still shows that very process (same start
  time, a Temporal dev server whose ``--db-filename`` is in this data directory), then any other dev
  server of this data directory's temporal.db.
- ``Claim.record(child)``: the pidfile DATA_DIR/pdca-up.pid (JSON: this process and its children with
  their start times and command lines), rewritten whenever a child starts; removed on a clean stop.
- ``make_private(data_dir, files)``: umask 077 for this process and its children (so every file they
  create is 0600 and every directory 0700), the data directory 0700 and the files already there 0600.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.errors import Unavailable

LOCK_FILE = "pdca-up.lock"
PID_FILE = "pdca-up.pid"
PRIVATE_UMASK = 0o077
# What `pdca up` and its worker create in the data directory (made 0600 when found with wider modes).
OWN_FILES = (
    "audit.db", "audit.db-wal", "audit.db-shm", "audit.db-journal",
    "temporal.db", "temporal.db-wal", "temporal.db-shm", "temporal.db-journal",
    "temporal-server.log", PID_FILE, LOCK_FILE, "initial-admin-password",
)  # fmt: skip
_PR_SET_PDEATHSIG = 1


class AlreadyRunning(Unavailable):
    """Another `pdca up` holds this data directory."""


# ----------------------------------------------------------------------------- children die with us


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A ``preexec_fn`` for ``subprocess.Popen``: the child receives ``sig`` when this process dies.

    Linux only (``prctl(PR_SET_PDEATHSIG)``); elsewhere the pidfile is the only safety net. The signal
    follows the *thread* that forked: start children from the main thread. A parent that died between
    fork and prctl is caught by comparing the parent pid, and the child exits at once."""
    parent = os.getpid()
    libc = _libc()

    def preexec() -> None:
        if libc is not None:
            libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
            if os.getppid() != parent:
                os._exit(1)

    return preexec


def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


# ----------------------------------------------------------------------------- processes as /proc shows them


def start_time(pid: int) -> int | None:
    """The process's start time (clock ticks since boot, /proc/<pid>/stat field 22); None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after its last ')'
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[19]) if len(fields) > 19 else None


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def is_dev_server_of(argv: list[str], data_dir: Path) -> bool:
    """A Temporal dev server (``temporal server start-dev``) whose --db-filename lies in ``data_dir``."""
    if "start-dev" not in argv or "--db-filename" not in argv:
        return False
    index = argv.index("--db-filename") + 1
    return index < len(argv) and Path(argv[index]).parent == data_dir


def dev_servers_of(data_dir: Path) -> list[int]:
    """Pids of every running Temporal dev server of ``data_dir`` (by their command line)."""
    proc = Path("/proc")
    found = []
    for entry in proc.iterdir() if proc.is_dir() else ():
        if entry.name.isdigit() and int(entry.name) != os.getpid() and is_dev_server_of(cmdline(int(entry.name)), data_dir):
            found.append(int(entry.name))
    return found


def terminate(pid: int, started: int | None, grace: float = 15.0) -> bool:
    """SIGTERM ``pid`` (if it is still the process that started at ``started``), SIGKILL after ``grace``
    seconds; True once it is gone. Polled, not slept."""
    if started is not None and start_time(pid) != started:
        return True  # gone, or the pid was reused: not ours to stop
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    for sig_after, wait in ((signal.SIGKILL, grace), (None, 10.0)):
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if _gone(pid, started):
                return True
            time.sleep(0.1)
        if sig_after is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig_after)
    return _gone(pid, started)


def _gone(pid: int, started: int | None) -> bool:
    now = start_time(pid)
    if now is None:
        return True
    with contextlib.suppress(OSError):  # a zombie child of ours: reap it
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return True
    if Path(f"/proc/{pid}/status").exists() and "State:\tZ" in _status(pid):
        return True
    return started is not None and now != started


def _status(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return ""


# ----------------------------------------------------------------------------- the data directory's owner


@dataclass
class Claim:
    """This process owns ``data_dir`` (the lock is held until ``release`` or death)."""

    data_dir: Path
    fd: int
    children: list[dict[str, Any]] = field(default_factory=list)
    stale_stopped: list[int] = field(default_factory=list)  # pids of a killed run's servers stopped on the way in

    @property
    def pidfile(self) -> Path:
        return self.data_dir / PID_FILE

    def record(self, pid: int, role: str) -> None:
        """Add a child to the pidfile (written whole, then renamed over the old one)."""
        self.children.append({"pid": pid, "role": role, "start_time": start_time(pid), "cmdline": cmdline(pid)})
        self._write()

    def _write(self) -> None:
        me = os.getpid()
        data = {
            "pid": me,
            "start_time": start_time(me),
            "cmdline": cmdline(me),
            "data_dir": str(self.data_dir),
            "children": self.children,
        }
        tmp = self.pidfile.with_suffix(".pid.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=1)
        os.replace(tmp, self.pidfile)

    def release(self) -> None:
        """A clean stop: the children are stopped; drop the pidfile, then the lock."""
        with contextlib.suppress(OSError):
            self.pidfile.unlink()
        with contextlib.suppress(OSError):
            os.close(self.fd)


def read_pidfile(data_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((data_dir / PID_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def claim(data_dir: Path, echo: Callable[[str], None] | None = None) -> Claim:
    """Own ``data_dir`` for this `pdca up`: ``AlreadyRunning`` when another holds it; else stop what a
    killed run left behind (see the module's docstring) and write the pidfile."""
    import fcntl

    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        other = read_pidfile(data_dir) or {}
        pid = other.get("pid", "?")
        raise AlreadyRunning(
            f"已有一个 pdca up 在运行（pid {pid}，数据目录 {data_dir}）：先停止它（Ctrl-C），或用另一个 --data-dir / "
            f"another `pdca up` is already running on this data directory (pid {pid}): stop it first, or use another --data-dir"
        ) from None
    owner = Claim(data_dir, fd)
    for pid in stop_stale(data_dir, read_pidfile(data_dir)):
        owner.stale_stopped.append(pid)
        if echo is not None:
            echo(
                f"已停止上次被中断的运行留下的 Temporal 开发服务器（pid {pid}） / "
                f"stopped the Temporal dev server (pid {pid}) a killed `pdca up` left running"
            )
    owner._write()
    return owner


def stop_stale(data_dir: Path, record: dict[str, Any] | None) -> list[int]:
    """Stop the children a previous run of this data directory left running (the caller holds the
    lock, so no live `pdca up` owns them): those in its pidfile that are still the very processes it
    recorded, then any other dev server of this data directory. Returns the pids stopped."""
    stopped = []
    for child in (record or {}).get("children", []) if isinstance(record, dict) else []:
        pid, started = child.get("pid"), child.get("start_time")
        if not isinstance(pid, int) or start_time(pid) is None or start_time(pid) != started:
            continue  # gone, or the pid now belongs to another process
        if not is_dev_server_of(cmdline(pid), data_dir):
            continue
        if terminate(pid, started):
            stopped.append(pid)
    for pid in dev_servers_of(data_dir):
        if pid not in stopped and terminate(pid, start_time(pid)):
            stopped.append(pid)
    return stopped


# ----------------------------------------------------------------------------- private files


def make_private(data_dir: Path, files: Iterable[Path] = ()) -> None:
    """umask 077 from now on (this process and the children it starts), ``data_dir`` 0700, and this
    stack's files already there (``OWN_FILES``, plus ``files``: e.g. an audit database elsewhere) 0600."""
    os.umask(PRIVATE_UMASK)
    data_dir.chmod(0o700)
    for path in [*(data_dir / name for name in OWN_FILES), *_with_sidecars(files)]:
        with contextlib.suppress(FileNotFoundError):
            if path.is_file() and path.stat().st_mode & 0o077:
                path.chmod(0o600)


def _with_sidecars(files: Iterable[Path]) -> Iterator[Path]:
    for path in files:
        yield path
        for suffix in ("-wal", "-shm", "-journal"):
            yield path.with_name(path.name + suffix)
