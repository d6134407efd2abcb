"""`pdca up` owns its data directory and its children (service/ownership.py), checked with real processes:
a child started with the parent-death signal dies when its parent is killed with SIGKILL; one owner per
data directory; a stale dev server recorded by a killed run is stopped only if /proc still shows that
very process for this data directory; files private (umask 077, 0700 directory, 0600 files)."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from service.ownership import AlreadyRunning, claim, make_private, read_pidfile, start_time
from store.db import create_sqlite_directory

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and prctl: Linux")

SLEEPER = "import sys, time; print('up', flush=True); time.sleep(600)"


def alive(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


def fake_dev_server(data_dir: Path) -> subprocess.Popen[str]:
    """A process whose command line reads like the dev server of ``data_dir`` (python ignores the rest)."""
    argv = [sys.executable, "-c", SLEEPER, "server", "start-dev", "--db-filename", str(data_dir / "temporal.db")]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "up"
    return process


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def test_a_child_dies_with_its_parent_even_on_sigkill(tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    parent_code = (
        "import subprocess, sys; from service.ownership import die_with_parent; "
        f"child = subprocess.Popen([sys.executable, '-c', {SLEEPER!r}], start_new_session=True, "
        "preexec_fn=die_with_parent(), stdout=subprocess.DEVNULL); "
        "print(child.pid, flush=True); import time; time.sleep(600)"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2]
    )
    processes.append(parent)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert alive(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=30)
    assert wait_until(lambda: not alive(child)), "the child outlived its parent's kill -9"


def test_one_owner_per_data_directory(tmp_path: Path) -> None:
    first = claim(tmp_path)
    try:
        with pytest.raises(AlreadyRunning) as refused:
            claim(tmp_path)  # another open file description: flock refuses it, as for another process
        assert str(os.getpid()) in refused.value.message and "已有一个 pdca up 在运行" in refused.value.message
        assert refused.value.message.index("已有") < refused.value.message.index("already")  # Chinese first
    finally:
        first.release()
    claim(tmp_path).release()  # released: the next one gets it
    assert not (tmp_path / "pdca-up.pid").exists()


def test_the_lock_dies_with_its_holder(tmp_path: Path) -> None:
    code = (
        f"from service.ownership import claim; from pathlib import Path; claim(Path({str(tmp_path)!r})); "
        "print('held', flush=True); import time; time.sleep(600)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(AlreadyRunning) as refused:
            claim(tmp_path)
        assert f"pid {holder.pid}" in refused.value.message
    finally:
        holder.kill()
        holder.wait(timeout=30)
    claim(tmp_path).release()


def test_a_stale_server_of_this_data_directory_is_stopped_and_nothing_else(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "other"
    home.mkdir()
    elsewhere.mkdir()
    stale = fake_dev_server(home)
    foreign = fake_dev_server(elsewhere)  # another data directory's server: not ours to stop
    plain = subprocess.Popen([sys.executable, "-c", SLEEPER], stdout=subprocess.PIPE, text=True)  # pid recorded, but not a server
    processes += [stale, foreign, plain]
    assert plain.stdout is not None and plain.stdout.readline()
    record = {
        "pid": 999_999_999,
        "children": [
            {"pid": stale.pid, "role": "temporal", "start_time": start_time(stale.pid)},
            {"pid": plain.pid, "role": "temporal", "start_time": start_time(plain.pid)},
            {"pid": foreign.pid, "role": "temporal", "start_time": start_time(foreign.pid)},
        ],
    }
    (home / "pdca-up.pid").write_text(json.dumps(record), encoding="utf-8")
    said: list[str] = []

    owner = claim(home, said.append)
    try:
        assert owner.stale_stopped == [stale.pid]
        assert stale.wait(timeout=30) is not None
        assert plain.poll() is None and foreign.poll() is None
        assert said and "已停止上次被中断的运行留下的 Temporal 开发服务器" in said[0] and str(stale.pid) in said[0]
        assert read_pidfile(home)["pid"] == os.getpid()  # type: ignore[index]
    finally:
        owner.release()


def test_private_files_and_directories(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    for name in ("audit.db", "audit.db-wal", "temporal.db", "temporal-server.log", "user-notes.txt"):
        (home / name).write_text("x")
        (home / name).chmod(0o644)
    old = os.umask(0o022)
    try:
        make_private(home)
        assert os.umask(0o077) == 0o077  # make_private set it
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        for name in ("audit.db", "audit.db-wal", "temporal.db", "temporal-server.log"):
            assert stat.S_IMODE((home / name).stat().st_mode) == 0o600, name
        assert stat.S_IMODE((home / "user-notes.txt").stat().st_mode) == 0o644  # not ours: left alone
        (home / "new.log").write_text("y")
        assert stat.S_IMODE((home / "new.log").stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_the_sqlite_directory_is_created_0700(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        create_sqlite_directory(f"sqlite:///{tmp_path / 'a' / 'b' / 'audit.db'}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "a" / "b").stat().st_mode) == 0o700
    create_sqlite_directory(f"sqlite:///{tmp_path / 'a' / 'b' / 'audit.db'}")  # existing: fine
