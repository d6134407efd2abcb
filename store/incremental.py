"""Incremental projections: fold only the events an append stored, write only the rows that changed.

A ``StreamProjection`` is one kind's projector (``store.eventlog.Projector``): a summary table with one row
per stream, and ledger tables with one row per item of the stream's state (a measure, a milestone, …),
all computed from the state the kind's decider folds. The log calls it inside the append's transaction
with the rows it just stored (contract: ``AuditEvent`` rows in version order; ``rebuild_projections``
passes a stream's whole list from version 1).

Per stream it keeps, in a bounded in-process LRU (``CACHED_STREAMS``), the state after the last append it
projected: its version, the hash of that version's row, the state, and the ledger rows it wrote for it.
An append of the rows right after that version evolves the cached state by those rows only, and writes
the difference between the ledger rows before and after (insert the new, update the changed, delete the
removed) and one ``UPDATE`` of the summary row. The cost of an append is then the cost of its own events,
whatever the stream's length.

When the cache cannot be trusted the slow path is taken: the state is folded from the stream's earlier
events, read through the append's own session, and the stream's rows are compared with what the tables
hold (not with a cached state), so they come out right whatever wrote them before. The cache is trusted
only when all of these hold:

- the entry's version is the version just before the new rows, or one of theirs when a whole stream is
  passed (another process or a projector-less log that appended meanwhile leaves a gap: slow path);
- the log's row at the entry's version has the entry's hash. An entry is stored inside the append's
  transaction, before it commits: if that transaction rolls back, the row it hashed never exists, so the
  entry can never match a stored row (the chain hash covers the whole log before it: the same hash means
  the same events). This also tells one database from another (tests, benchmarks, several engines);
- the summary row is at the entry's version: its ``UPDATE … WHERE version = <entry's version>`` must
  touch one row (tables reset or written by something else: the stream is re-synchronised with the
  tables' rows).

The cached state is never mutated: every kind's ``evolve`` returns a new state (rectification and project
copy deeply, campaign copies what it changes) and the row functions only read it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Table, and_, bindparam, select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from domain.decider import Decider
from store.models import AuditEvent
from store.queries import fold_stream

S = TypeVar("S", bound=BaseModel)

# Streams whose folded state each projection keeps (least recently appended first out). A cached case
# (state and ledger rows) measured 13-23 KB in memory (1-6 measures, with proposals and deadline changes),
# so a full cache is some 50-100 MB. A stream evicted costs one fold from its first event on its next
# append (the slow path), nothing else: with more open cases than this, the cases appended to most often
# stay folded, and a cold case's next append folds its few dozen events once.
CACHED_STREAMS = 4096

Key = tuple[Any, ...]
Rows = dict[Key, dict[str, Any]]  # a ledger's rows of one stream: key columns' values -> the other columns

_AUDIT: Table = AuditEvent.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Ledger:
    """A table with rows per stream: ``stream_column`` names the stream, ``key_columns`` the row in it."""

    table: Table
    stream_column: str
    key_columns: tuple[str, ...]
    deletes: bool = True  # False: rows that leave the state are kept (campaign cases are never removed)

    def where(self) -> Any:
        """The condition on one row: parameters ``w_<column>`` for the stream column and key columns
        (statements built once, values passed as parameters: SQLAlchemy compiles each shape once)."""
        columns = (self.stream_column, *self.key_columns)
        return and_(*(self.table.c[column] == bindparam(f"w_{column}") for column in columns))

    def params(self, stream_id: str, key: Key) -> dict[str, Any]:
        return {f"w_{self.stream_column}": stream_id} | {f"w_{c}": v for c, v in zip(self.key_columns, key, strict=True)}


@dataclass(frozen=True)
class Folded(Generic[S]):
    """A stream's state after ``version``, whose row hashed to ``hash``, and the ledger rows it gives."""

    version: int
    hash: str
    state: S
    ledgers: tuple[Rows, ...]


class FoldCache(Generic[S]):
    """A bounded LRU of ``Folded`` per stream, safe to share between threads."""

    def __init__(self, size: int = CACHED_STREAMS) -> None:
        self.size = size
        self._entries: OrderedDict[str, Folded[S]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, stream_id: str) -> Folded[S] | None:
        with self._lock:
            entry = self._entries.get(stream_id)
            if entry is not None:
                self._entries.move_to_end(stream_id)
            return entry

    def put(self, stream_id: str, entry: Folded[S]) -> None:
        with self._lock:
            self._entries[stream_id] = entry
            self._entries.move_to_end(stream_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def discard(self, stream_id: str) -> None:
        with self._lock:
            self._entries.pop(stream_id, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class StreamProjection(Generic[S]):
    """One kind's projector: ``summary_of(state, last_row)`` gives the summary row's columns (its key
    column aside; it must include ``version``, the state's version), ``ledgers_of(state)`` each ledger's
    rows, in the order of ``ledgers``."""

    def __init__(
        self,
        decider: Decider[S, Any, Any],
        summary: Table,
        summary_key: str,
        ledgers: Sequence[Ledger],
        summary_of: Callable[[S, AuditEvent], dict[str, Any]],
        ledgers_of: Callable[[S], Sequence[Rows]],
        cache_size: int = CACHED_STREAMS,
    ) -> None:
        self.decider = decider
        self.summary = summary
        self.summary_key = summary_key
        self.ledgers = tuple(ledgers)
        self.summary_of = summary_of
        self.ledgers_of = ledgers_of
        self.cache: FoldCache[S] = FoldCache(cache_size)
        key = summary.c[summary_key]
        self._summary_at = summary.update().where(key == bindparam("w_key"), summary.c.version == bindparam("w_version"))
        self._summary_any = summary.update().where(key == bindparam("w_key"))
        self._summary_exists = select(key).where(key == bindparam("w_key"))
        self._updates = {ledger.table.name: ledger.table.update().where(ledger.where()) for ledger in self.ledgers}
        self._deletes = {ledger.table.name: ledger.table.delete().where(ledger.where()) for ledger in self.ledgers}
        self._stored = {
            ledger.table.name: select(ledger.table).where(ledger.table.c[ledger.stream_column] == bindparam("w_stream"))
            for ledger in self.ledgers
        }
        self.slow_paths = 0  # appends that had to fold a stream from its start (a cache miss, not a rebuild)

    def __call__(self, session: Session, stream_id: str, rows: Sequence[AuditEvent]) -> None:
        if not rows or not self.decider.owns(stream_id):
            return
        conn = session.connection()
        first, last = rows[0], rows[-1]
        entry = self._trusted_entry(conn, stream_id, rows)
        if entry is not None:
            before, new_rows = entry.state, [row for row in rows if row.version > entry.version]
        elif first.version == 1:
            before, new_rows = self.decider.initial, list(rows)
        else:
            self.slow_paths += 1
            before, new_rows = self._fold_before(conn, stream_id, first.version), list(rows)
        after = fold_stream(new_rows, self.decider, before)
        summary = self.summary_of(after, last)
        ledgers = tuple(self.ledgers_of(after))
        if entry is None or not self._update_summary(conn, stream_id, summary, entry.version):
            self._resync(conn, stream_id, summary, ledgers)
        else:
            for ledger, old, new in zip(self.ledgers, entry.ledgers, ledgers, strict=True):
                self._write_difference(conn, ledger, stream_id, old, new)
        if last.hash:
            self.cache.put(stream_id, Folded(last.version, last.hash, after, ledgers))
        else:
            self.cache.discard(stream_id)

    def _trusted_entry(self, conn: Connection, stream_id: str, rows: Sequence[AuditEvent]) -> Folded[S] | None:
        """The cached fold to continue from, if it is the log's state just before some of ``rows``."""
        entry = self.cache.get(stream_id)
        first, last = rows[0], rows[-1]
        if entry is None or not first.version - 1 <= entry.version < last.version:
            return None
        if entry.version >= first.version:  # the rows hold that version's row (a whole stream passed)
            known: str | None = rows[entry.version - first.version].hash
        elif first.prev_hash == entry.hash:  # the chain's previous row is the stream's row we folded last
            known = first.prev_hash
        else:
            query = select(_AUDIT.c.hash).where(_AUDIT.c.stream_id == stream_id, _AUDIT.c.version == entry.version)
            known = conn.execute(query).scalar_one_or_none()
        return entry if known == entry.hash else None

    def _fold_before(self, conn: Connection, stream_id: str, version: int) -> S:
        """The stream's state before ``version``, folded from the log's rows (read in this transaction)."""
        query = (
            select(_AUDIT.c.payload)
            .where(_AUDIT.c.stream_id == stream_id, _AUDIT.c.version < version)
            .order_by(_AUDIT.c.version)
        )
        payloads = conn.execute(query).scalars().all()
        if len(payloads) != version - 1:
            raise ValueError(f"stream {stream_id}: {len(payloads)} events before version {version}")
        return self.decider.fold(self.decider.events.validate_json(payload) for payload in payloads)

    def _update_summary(self, conn: Connection, stream_id: str, values: dict[str, Any], version: int) -> bool:
        """Update the summary row if it is at ``version`` (else it is not the state the cache holds)."""
        return conn.execute(self._summary_at, {**values, "w_key": stream_id, "w_version": version}).rowcount == 1

    def _resync(self, conn: Connection, stream_id: str, values: dict[str, Any], ledgers: tuple[Rows, ...]) -> None:
        """Bring the stream's rows to ``values``/``ledgers`` from whatever the tables hold now."""
        if conn.execute(self._summary_exists, {"w_key": stream_id}).first() is None:
            conn.execute(self.summary.insert(), {self.summary_key: stream_id, **values})
        else:
            conn.execute(self._summary_any, {**values, "w_key": stream_id})
        for ledger, new in zip(self.ledgers, ledgers, strict=True):
            self._write_difference(conn, ledger, stream_id, self._read(conn, ledger, stream_id), new)

    def _read(self, conn: Connection, ledger: Ledger, stream_id: str) -> Rows:
        """The ledger's rows of the stream as the table holds them."""
        keys = {*ledger.key_columns, ledger.stream_column}
        rows: Rows = {}
        for row in conn.execute(self._stored[ledger.table.name], {"w_stream": stream_id}).mappings():
            rows[tuple(row[column] for column in ledger.key_columns)] = {k: v for k, v in row.items() if k not in keys}
        return rows

    def _write_difference(self, conn: Connection, ledger: Ledger, stream_id: str, old: Rows, new: Rows) -> None:
        """Insert the rows only in ``new``, update those that differ (changed columns only), delete those
        only in ``old`` (if the ledger deletes)."""
        inserts = []
        for key, values in new.items():
            before = old.get(key)
            if before is None:
                inserts.append({ledger.stream_column: stream_id, **dict(zip(ledger.key_columns, key, strict=True)), **values})
            elif before != values:
                changed = {c: v for c, v in values.items() if c not in before or before[c] != v}
                if changed:
                    conn.execute(self._updates[ledger.table.name], {**changed, **ledger.params(stream_id, key)})
        if ledger.deletes:
            gone = [ledger.params(stream_id, key) for key in old.keys() - new.keys()]
            if gone:
                conn.execute(self._deletes[ledger.table.name], gone)
        if inserts:
            conn.execute(ledger.table.insert(), inserts)
