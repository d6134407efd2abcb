"""The tamper matrix: what `pdca audit verify` catches, and by what, on an SQLite audit database.

An audit log of a few streams is built with ``AuditLog.append`` and anchored by a signed checkpoint
(`pdca audit checkpoint`); each tamper is applied to a copy of the database and its checkpoint directory,
as someone with the database file (and, for some rows, the host) could, and the real CLI verifies the
copy (`pdca --json audit verify`). The table it yields must equal the block in docs/security.md between
``<!-- tamper-matrix:begin -->`` and ``<!-- tamper-matrix:end -->``: a change in what is caught changes
the documentation too.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from cli.main import app
from store.db import make_engine
from store.eventlog import AuditLog, NewEvent, row_digest
from store.migrate import upgrade
from store.models import AuditEvent
from store.triggers import drop_append_only_triggers

from .conftest import as_dba

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
BEGIN, END = "<!-- tamper-matrix:begin -->", "<!-- tamper-matrix:end -->"
T0 = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
EVENTS = 20
STREAMS = ("rect-V001-2026", "rect-V002-2026", "proj-P001-2026")


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    root: Path  # the base copy: audit.db + checkpoints/
    keys: Path  # the audit key directory (PDCA_AUDIT_KEY_DIR)
    home: Path

    def copy(self, name: str) -> Path:
        target = self.root.parent / name
        shutil.copytree(self.root, target)
        return target


def invoke(monkeypatch: pytest.MonkeyPatch, world: World, case: Path, *args: str, keys: Path | None = None) -> tuple[int, str, str]:
    monkeypatch.setenv("PDCA_HOME", str(world.home))
    monkeypatch.setenv("PDCA_CHECKPOINT_DIR", str(case / "checkpoints"))
    monkeypatch.setenv("PDCA_AUDIT_KEY_DIR", str(keys or world.keys))
    monkeypatch.delenv("PDCA_DIGEST_DIR", raising=False)
    monkeypatch.delenv("PDCA_CHECKPOINT_WEBHOOK", raising=False)
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{case / 'audit.db'}", *args])
    return result.exit_code, result.stdout, result.stderr


def build(log: AuditLog, count: int = EVENTS) -> None:
    versions = dict.fromkeys(STREAMS, 0)
    for i in range(1, count + 1):
        stream = STREAMS[i % len(STREAMS)]
        payload = json.dumps({"at": (T0 + timedelta(hours=i)).isoformat(), "note": f"整改 {i}"}, ensure_ascii=False)
        log.append(stream, versions[stream], [NewEvent(f"e{i}", "Noted", "wang.sup", payload, "p-1")], now=T0 + timedelta(hours=i))
        versions[stream] += 1


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    base = tmp_path_factory.mktemp("tamper")
    world = World(root=base / "base", keys=base / "audit-keys", home=base / "home")
    world.root.mkdir()
    engine = make_engine(f"sqlite:///{world.root / 'audit.db'}")
    upgrade(engine)
    build(AuditLog(engine))
    engine.dispose()
    with pytest.MonkeyPatch.context() as monkeypatch:
        code, out, err = invoke(monkeypatch, world, world.root, "--json", "audit", "checkpoint")
    assert code == 0, out + err
    assert json.loads(out)["checkpoint"]["position"] == EVENTS
    return world


# --------------------------------------------------------------------------- tampering helpers


def rows(conn: Connection) -> list[AuditEvent]:
    with Session(bind=conn) as session:
        found = list(session.exec(select(AuditEvent).order_by(col(AuditEvent.position))).all())
        session.expunge_all()
    return found


def recompute(conn: Connection, start: int = 1) -> None:
    """Re-hash the chain from ``start`` on, as someone who knows the (public) hashing rule would."""
    stored = rows(conn)
    prev = stored[start - 2].hash if start > 1 else "0" * 64
    for row in stored[start - 1 :]:
        digest = row_digest(prev, row)
        conn.execute(
            text("UPDATE audit_event SET prev_hash = :p, hash = :h WHERE position = :n"), {"p": prev, "h": digest, "n": row.position}
        )
        prev = digest


def forge_append(conn: Connection, stream: str, version: int, event_type: str = "CaseClosed") -> None:
    head = rows(conn)[-1]
    row = AuditEvent(
        position=head.position + 1,
        event_id="forged-1",
        stream_id=stream,
        version=version,
        event_type=event_type,
        actor="wang.sup",
        policy_version="p-1",
        recorded_at=T0 + timedelta(days=2),
        payload='{"outcome":"upgraded","note":"forged"}',
        prev_hash=head.hash,
        hash="",
    )
    row.hash = row_digest(head.hash, row)
    conn.execute(
        text(
            "INSERT INTO audit_event (position, event_id, stream_id, version, event_type, actor, policy_version, recorded_at, "
            "payload, prev_hash, hash) VALUES (:position, :event_id, :stream_id, :version, :event_type, :actor, :policy_version, "
            ":recorded_at, :payload, :prev_hash, :hash)"
        ),
        {**row.model_dump(), "recorded_at": "2026-03-03T01:30:00.000000Z"},
    )


def last_version(conn: Connection, stream: str) -> int:
    return int(conn.execute(text("SELECT max(version) FROM audit_event WHERE stream_id = :s"), {"s": stream}).scalar_one())


def on_database(change: Callable[[Connection], None]) -> Callable[[Path, World], None]:
    def apply(case: Path, _world: World) -> None:
        engine = make_engine(f"sqlite:///{case / 'audit.db'}")
        try:
            with as_dba(engine) as conn:
                change(conn)
        finally:
            engine.dispose()

    return apply


def edit_field(conn: Connection) -> None:
    conn.execute(text('UPDATE audit_event SET payload = \'{"note":"改过"}\' WHERE position = 7'))


def delete_middle(conn: Connection) -> None:
    conn.execute(text("DELETE FROM audit_event WHERE position = 10"))


def swap_rows(conn: Connection) -> None:
    conn.execute(text("UPDATE audit_event SET position = -1 WHERE position = 8"))
    conn.execute(text("UPDATE audit_event SET position = 8 WHERE position = 9"))
    conn.execute(text("UPDATE audit_event SET position = 9 WHERE position = -1"))


def delete_tail(conn: Connection) -> None:
    conn.execute(text("DELETE FROM audit_event WHERE position > :n"), {"n": EVENTS - 3})


def forge_999(conn: Connection) -> None:
    forge_append(conn, STREAMS[1], 999)


def forge_contiguous(conn: Connection) -> None:
    forge_append(conn, STREAMS[1], last_version(conn, STREAMS[1]) + 1)


def rewrite_from_15(conn: Connection) -> None:
    conn.execute(text('UPDATE audit_event SET payload = \'{"note":"rewritten"}\' WHERE position >= 15'))
    recompute(conn, 15)


def delete_renumber(conn: Connection) -> None:
    conn.execute(text("DELETE FROM audit_event WHERE position = 10"))
    for position in range(11, EVENTS + 1):
        conn.execute(text("UPDATE audit_event SET position = :p - 1 WHERE position = :p"), {"p": position})
    recompute(conn, 10)


def drop_trigger_then_edit(case: Path, _world: World) -> None:
    """No DBA transaction: the triggers are dropped for good, then a row is edited."""
    engine = make_engine(f"sqlite:///{case / 'audit.db'}")
    try:
        with engine.begin() as conn:
            drop_append_only_triggers(conn)
        with engine.begin() as conn:
            conn.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE position = 3"))
    finally:
        engine.dispose()


def edit_checkpoint(case: Path, _world: World) -> None:
    (path,) = (case / "checkpoints").glob("checkpoint-*.json")
    data = json.loads(path.read_text())
    data["position"] = EVENTS - 3  # as if it anchored less, to hide a cut tail
    path.write_text(json.dumps(data))


def delete_checkpoints(case: Path, _world: World) -> None:
    for path in (case / "checkpoints").glob("checkpoint-*.json"):
        path.unlink()


def resign_with_new_key(case: Path, world: World) -> None:
    """The whole host is the attacker's: rewrite and re-hash, delete the checkpoints, make a new audit key
    (in a key directory of their own) and sign a fresh checkpoint of the rewritten log."""
    on_database(rewrite_from_15)(case, world)
    delete_checkpoints(case, world)
    with pytest.MonkeyPatch.context() as monkeypatch:
        code, out, err = invoke(monkeypatch, world, case, "audit", "checkpoint", keys=case / "attacker-keys")
    assert code == 0, out + err


@dataclass
class Tamper:
    name: str
    apply: Callable[[Path, World], None]
    # another way to run verify that catches it when the default does not: (the flag as the table shows it, args)
    stricter: tuple[str, Callable[[World], list[str]]] | None = None
    keys: str | None = None  # run with the attacker's key directory as PDCA_AUDIT_KEY_DIR
    notes: list[str] = field(default_factory=list)


def original_key(world: World) -> list[str]:
    (public,) = world.keys.glob("*.pub.json")
    return ["--key", str(public)]


TAMPERS = [
    Tamper("edit a field of one event (payload)", on_database(edit_field)),
    Tamper("delete a middle event", on_database(delete_middle)),
    Tamper("swap two events", on_database(swap_rows)),
    Tamper("delete the last 3 events", on_database(delete_tail)),
    Tamper("append a forged CaseClosed, version 999, hash chain recomputed", on_database(forge_999)),
    Tamper(
        "append a forged event with the next version, hash chain recomputed (after the newest checkpoint)", on_database(forge_contiguous)
    ),
    Tamper("rewrite every event from position 15 on, hashes recomputed", on_database(rewrite_from_15)),
    Tamper("delete an event, renumber the later ones, recompute the chain", on_database(delete_renumber)),
    Tamper("DROP TRIGGER, then edit an event", drop_trigger_then_edit),
    Tamper("edit a checkpoint file (its position)", edit_checkpoint),
    Tamper("delete the checkpoint files", delete_checkpoints, stricter=("`--require-checkpoint`", lambda _w: ["--require-checkpoint"])),
    Tamper(
        "rewrite from position 15 on, delete the checkpoints, sign a new one with a new audit key",
        resign_with_new_key,
        stricter=("`--key` (a copy of the audit public key kept elsewhere)", original_key),
        keys="attacker-keys",
    ),
]

DETECTORS = [  # (what the report says, how the table names it), in the table's order
    ("chain", "hash chain"),
    ("versions", "stream versions"),
    ("truncated", "checkpoint: log ends before it (truncated)"),
    ("rewritten", "checkpoint: other hash at its position (rewritten)"),
    ("signature", "checkpoint signature"),
    ("unreadable", "checkpoint unreadable"),
    ("missing", "no checkpoint found"),
]


def detected_by(report: dict) -> list[str]:
    found = set()
    if report["bad_position"] is not None and (
        report["version_break"] is None or report["bad_position"] != report["version_break"]["position"]
    ):
        found.add("chain")
    if report["version_break"] is not None:
        found.add("versions")
    found |= {finding["kind"] for finding in report["checkpoints"] if not finding["ok"]}
    if report["missing_checkpoint"] and report["require_checkpoint"]:
        found.add("missing")
    return [name for key, name in DETECTORS if key in found]


def verify_case(monkeypatch: pytest.MonkeyPatch, world: World, case: Path, tamper: Tamper, extra: list[str]) -> tuple[int, dict]:
    keys = case / tamper.keys if tamper.keys else None
    code, out, err = invoke(monkeypatch, world, case, "--json", "audit", "verify", *extra, keys=keys)
    assert code in (0, 1), out + err
    return code, json.loads(out)


def matrix_row(monkeypatch: pytest.MonkeyPatch, world: World, tamper: Tamper, index: int) -> str:
    case = world.copy(f"case-{index:02d}")
    tamper.apply(case, world)
    code, report = verify_case(monkeypatch, world, case, tamper, [])
    if code == 1:
        caught, by = "yes", ", ".join(detected_by(report))
    else:
        assert report["ok"] is True
        caught, by = "no", f'nothing yet: shown as "not yet anchored: {report["not_anchored"]}"; the next checkpoint would anchor it'
        if report["missing_checkpoint"]:
            by = "a warning only: no checkpoint found"
        if tamper.stricter:
            flag, args = tamper.stricter
            strict_code, strict = verify_case(monkeypatch, world, case, tamper, args(world))
            assert strict_code == 1, strict
            caught, by = f"only with {flag}", ", ".join(detected_by(strict))
    return f"| {tamper.name} | {caught} | {by} |"


def build_table(monkeypatch: pytest.MonkeyPatch, world: World) -> str:
    lines = ["| tamper | caught? | by what |", "|---|---|---|"]
    lines += [matrix_row(monkeypatch, world, tamper, i) for i, tamper in enumerate(TAMPERS)]
    return "\n".join(lines)


def documented() -> str:
    text_ = DOC.read_text(encoding="utf-8")
    if BEGIN not in text_ or END not in text_:
        return f"(docs/security.md has no {BEGIN} … {END} block)"
    return text_.split(BEGIN, 1)[1].split(END, 1)[0].strip()


# --------------------------------------------------------------------------- the tests


def test_the_untampered_copy_verifies_and_is_fully_anchored(monkeypatch: pytest.MonkeyPatch, world: World) -> None:
    case = world.copy("untouched")
    code, out, err = invoke(monkeypatch, world, case, "--json", "audit", "verify", "--require-checkpoint")
    report = json.loads(out)
    assert code == 0, out + err
    assert (report["checked"], report["checkpoints_checked"], report["anchored_position"], report["not_anchored"]) == (EVENTS, 1, EVENTS, 0)


def test_the_tamper_matrix_is_the_documented_one(monkeypatch: pytest.MonkeyPatch, world: World) -> None:
    table = build_table(monkeypatch, world)
    assert table == documented(), f"docs/security.md's tamper matrix differs; paste this between the markers:\n\n{BEGIN}\n{table}\n{END}\n"


def test_failures_name_the_stream_version_and_the_checkpoint_file(monkeypatch: pytest.MonkeyPatch, world: World) -> None:
    case = world.copy("messages")
    on_database(forge_999)(case, world)
    code, out, _ = invoke(monkeypatch, world, case, "--lang", "en", "audit", "verify")
    assert code == 1 and f"stream {STREAMS[1]} expected version {len(range(1, EVENTS + 1, 3)) + 1}, found 999" in out.replace("\n", " "), (
        out
    )
    code, out, _ = invoke(monkeypatch, world, case, "audit", "verify")
    assert code == 1 and "版本号不连续" in out and "999" in out

    case = world.copy("messages-tail")
    on_database(delete_tail)(case, world)
    (checkpoint,) = (case / "checkpoints").glob("checkpoint-*.json")
    code, out, _ = invoke(monkeypatch, world, case, "--lang", "en", "audit", "verify")
    flat = out.replace("\n", "")
    assert code == 1 and checkpoint.name in flat and "truncated" in flat and f"the log ends at {EVENTS - 3}" in flat, out
    # a checkpoint is refused while the log does not match the ones before it
    code, out, _ = invoke(monkeypatch, world, case, "--lang", "en", "audit", "checkpoint")
    assert code == 1 and "no checkpoint signed" in out
    assert len(list((case / "checkpoints").glob("checkpoint-*.json"))) == 1


def test_a_proof_checks_offline_and_fails_once_edited(monkeypatch: pytest.MonkeyPatch, world: World) -> None:
    case = world.copy("proof")
    proof_file = case / "proof-7.json"
    code, out, err = invoke(monkeypatch, world, case, "audit", "prove", "7", "--out", str(proof_file))
    assert code == 0, out + err
    (public,) = world.keys.glob("*.pub.json")
    # offline: no database, no PDCA_AUDIT_KEY_DIR — only the proof and a copy of the public key
    code, out, err = invoke(
        monkeypatch, world, case, "--lang", "en", "audit", "check-proof", str(proof_file), "--key", str(public), keys=case / "none"
    )
    assert code == 0 and "proof holds: event 7" in out.replace("\n", " "), out + err
    proof = json.loads(proof_file.read_text())
    assert proof["tree_size"] == EVENTS and proof["event"]["position"] == 7 and proof["checkpoint"]["position"] == EVENTS
    proof["event"]["actor"] = "mallory"
    proof_file.write_text(json.dumps(proof))
    code, out, _ = invoke(monkeypatch, world, case, "--lang", "en", "audit", "check-proof", str(proof_file), "--key", str(public))
    assert code == 1 and "do not hash" in out
    code, _, err = invoke(monkeypatch, world, case, "--lang", "en", "audit", "prove", str(EVENTS + 5))
    assert code == 1 and "no checkpoint anchors position" in err
