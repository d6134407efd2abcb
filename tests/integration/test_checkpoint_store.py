"""Checkpoint files, the audit key, the webhook copy and the daily activity (store/checkpoints.py,
activities/audit.py), on an SQLite audit log."""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from temporalio.testing import ActivityEnvironment

from activities.audit import AuditActivities
from domain.audit.checkpoint import parse_checkpoint
from settings import get_settings
from settings.errors import InputError
from store.checkpoints import Anchoring, CheckpointError, take_checkpoint, trusted_audit_keys, verify_anchored, write_checkpoint
from store.eventlog import AuditLog, NewEvent
from worker import open_audit_log


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    audit_log = open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}")
    for i in range(1, 6):
        audit_log.append("s1", i - 1, [NewEvent(f"e{i}", "Noted", "tester", f'{{"n":{i}}}')])
    return audit_log


class Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 -- http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("PDCA_ALLOW_PRIVATE_URLS", "1")  # the receiver is on 127.0.0.1, as an internal archive would be
    Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/checkpoints"
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_settings_checkpoint_dir_wins_over_the_retired_digest_dir_and_the_webhook_is_http_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("PDCA_CHECKPOINT_DIR", "PDCA_DIGEST_DIR", "PDCA_AUDIT_KEY_DIR", "PDCA_CHECKPOINT_WEBHOOK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PDCA_HOME", str(tmp_path / "home"))
    assert get_settings().checkpoints_path == tmp_path / "home" / "checkpoints"
    monkeypatch.setenv("PDCA_DIGEST_DIR", str(tmp_path / "old"))
    assert get_settings().checkpoints_path == tmp_path / "old"
    monkeypatch.setenv("PDCA_CHECKPOINT_DIR", str(tmp_path / "new"))
    assert get_settings().checkpoints_path == tmp_path / "new"
    monkeypatch.setenv("PDCA_CHECKPOINT_WEBHOOK", "file:///etc/passwd")
    with pytest.raises(InputError, match="PDCA_CHECKPOINT_WEBHOOK"):
        get_settings()


def test_checkpoint_files_are_private_unique_and_never_overwritten(log: AuditLog, tmp_path: Path, receiver: str) -> None:
    anchoring = Anchoring(tmp_path / "cp", tmp_path / "keys", "sm2", receiver)
    first = take_checkpoint(log, anchoring)
    second = take_checkpoint(log, anchoring)
    assert first.checkpoint and second.checkpoint and first.file and second.file and first.file != second.file
    for taken in (first, second):
        path = Path(taken.file or "")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert parse_checkpoint(json.loads(path.read_text())) == taken.checkpoint
        assert path.name.startswith("checkpoint-000000000005-") and taken.webhook_error is None
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    (private,) = (tmp_path / "keys").glob("*.key")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert first.checkpoint.signature_algorithm == "sm2" and second.report.checkpoints_checked == 1
    assert [parse_checkpoint(body) for body in Receiver.received] == [first.checkpoint, second.checkpoint]
    assert not [p for p in (tmp_path / "cp").iterdir() if p.name.startswith(".")]  # no temporary file left
    with pytest.raises(CheckpointError, match="exists already"):
        write_checkpoint(tmp_path / "cp", first.checkpoint)
    assert Path(first.file or "").read_text() and len(os.listdir(tmp_path / "cp")) == 2


def test_an_unknown_key_or_a_retired_key_fails_verification(log: AuditLog, tmp_path: Path) -> None:
    anchoring = Anchoring(tmp_path / "cp", tmp_path / "keys")
    taken = take_checkpoint(log, anchoring)
    assert taken.checkpoint is not None
    report = verify_anchored(log, [tmp_path / "cp"], {})
    assert not report.ok and [f.kind for f in report.checkpoints] == ["signature"]
    good = verify_anchored(log, [tmp_path / "cp"], trusted_audit_keys(tmp_path / "keys"))
    assert good.ok and (good.anchored_position, good.not_anchored) == (5, 0)
    log.append("s1", 5, [NewEvent("e6", "Noted", "tester", "{}")])
    later = verify_anchored(log, [tmp_path / "cp"], trusted_audit_keys(tmp_path / "keys"))
    assert later.ok and (later.anchored_position, later.not_anchored, later.head_position) == (5, 1, 6)


def test_the_activity_signs_after_verifying_and_counts_a_failed_webhook(log: AuditLog, tmp_path: Path) -> None:
    anchoring = Anchoring(tmp_path / "cp", tmp_path / "keys", webhook=f"http://127.0.0.1:{closed_port()}/")
    activities = AuditActivities(log, anchoring)
    written, failures = sample("pdca_audit_checkpoints_total", result="written"), sample("pdca_audit_checkpoint_webhook_failures_total")
    result = ActivityEnvironment().run(activities.verify_audit_chain)
    assert result.ok and result.checkpoint_position == 5 and result.checkpoint_file and Path(result.checkpoint_file).exists()
    assert (result.checkpoint_error or "").startswith("webhook: ")
    assert sample("pdca_audit_checkpoints_total", result="written") == written + 1
    assert sample("pdca_audit_checkpoint_webhook_failures_total") == failures + 1
    assert sample("pdca_audit_checkpoint_position") == 5
    # a checkpoint directory that cannot be made: counted as failed, the verification still reported
    (tmp_path / "a-file").write_text("")
    broken = AuditActivities(log, Anchoring(tmp_path / "a-file" / "cp", tmp_path / "keys"))
    failed = sample("pdca_audit_checkpoints_total", result="failed")
    result = ActivityEnvironment().run(broken.verify_audit_chain)
    assert result.ok and result.checkpoint_file is None and "cannot write a checkpoint" in (result.checkpoint_error or "")
    assert sample("pdca_audit_checkpoints_total", result="failed") == failed + 1


def test_checkpoint_webhook_keeps_to_the_channels_url_rules(log: AuditLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A metadata address is refused at load; a loopback one at send time unless private URLs are allowed."""
    monkeypatch.setenv("PDCA_CHECKPOINT_WEBHOOK", "http://169.254.169.254/latest/meta-data/")
    with pytest.raises(InputError, match="metadata"):
        get_settings()
    monkeypatch.delenv("PDCA_CHECKPOINT_WEBHOOK")
    monkeypatch.delenv("PDCA_ALLOW_PRIVATE_URLS", raising=False)
    taken = take_checkpoint(log, Anchoring(tmp_path / "cp", tmp_path / "keys", "ed25519", f"http://127.0.0.1:{closed_port()}/x"))
    assert taken.file and taken.webhook_error and "loopback" in taken.webhook_error
