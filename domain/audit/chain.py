"""One link of the audit log's hash chain (pure).

Every row's hash is SHA-256 over the previous row's hash, a newline and the JSON array of the row's
stored columns exactly as stored (``recorded_at`` as its stored UTC text). ``store/eventlog.py`` hashes
rows with this; an inclusion proof (``domain/audit/checkpoint.py``) re-computes it from the row it
carries, without the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

GENESIS_HASH = "0" * 64
# The columns a link covers, in order (an event row as a proof carries it has these keys too).
LINK_FIELDS: tuple[str, ...] = (
    "position",
    "event_id",
    "stream_id",
    "version",
    "event_type",
    "actor",
    "policy_version",
    "recorded_at",
    "payload",
)


def link_hash(prev_hash: str, fields: Sequence[object]) -> str:
    """The hash of a row whose columns (in ``LINK_FIELDS`` order) are ``fields``, after ``prev_hash``."""
    material = json.dumps(list(fields), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + "\n" + material).encode("utf-8")).hexdigest()
