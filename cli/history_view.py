"""The one history screen (全程纪实) of every kind of stream: `pdca case|project|campaign history`.

Each row is read with its own kind's decider (``domain.kinds.decider_of_stream``); its details are the
case screen's (cli/render.py), the project screen's (cli/project_view.py), or, for any other kind
(campaigns), the words its notices say (``i18n.render_notice``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table

from cli import case_view, project_view
from cli.render import console, when
from domain.kinds import decider_of_stream
from i18n import Lang, label, render_notice

if TYPE_CHECKING:
    from store.models import AuditEvent

# a kind's (Decider name's) details column; kinds not named here: their notice wording
_DETAILS: dict[str, Callable[[Any, Lang], str]] = {
    "rectification": case_view.event_details,
    "project": project_view.event_details,
}


def details(kind: str, event: Any, stream_id: str, lang: Lang) -> str:
    """The details column of ``event`` of a stream of ``kind``."""
    shown = _DETAILS.get(kind)
    return shown(event, lang) if shown else render_notice(kind, event, stream_id, "", lang)


def history(rows: Sequence[AuditEvent], lang: Lang) -> None:
    """The audit rows of a stream (or several): position, version, time, event, actor, details."""
    table = Table()
    for column in (label("word.position", lang), "v", label("word.time", lang), label("word.event", lang), label("word.actor", lang)):
        table.add_column(column)
    table.add_column(label("word.details", lang))
    for r in rows:
        kind = decider_of_stream(r.stream_id)
        event = kind.events.validate_json(r.payload)
        table.add_row(
            str(r.position),
            str(r.version),
            when(event.at),
            label(f"event.{r.event_type}", lang),
            r.actor,
            details(kind.name, event, r.stream_id, lang),
        )
    console.print(table)


def history_json(rows: Sequence[AuditEvent]) -> list[dict[str, Any]]:
    """The audit rows as `-o json` prints them: the row's columns and the event itself."""
    return [
        {
            "position": r.position,
            "version": r.version,
            "event_id": r.event_id,
            "event_type": r.event_type,
            "actor": r.actor,
            "policy_version": r.policy_version,
            "recorded_at": r.recorded_at.isoformat(),
            "event": json.loads(r.payload),
            "hash": r.hash,
        }
        for r in rows
    ]
