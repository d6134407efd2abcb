"""The kinds of audited streams, by stream-id prefix: how to read their events and word their notices.

One registry, so activities (audit metrics, notices), projections and the CLI handle every kind the
same way. Pure: adapters and renderers only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter


@dataclass(frozen=True)
class Kind:
    name: str  # "rectification", "project", "campaign"
    prefix: str  # stream ids start with this, e.g. "rect-"
    events: TypeAdapter[Any]
    notice_events: frozenset[str]
    # render(event, stream_id, org_name, lang) -> text a person reads
    render: Callable[..., str]


def _rectification() -> Kind:
    from domain import messages, rectification

    return Kind("rectification", "rect-", rectification.EVENT_ADAPTER, rectification.NOTICE_EVENTS, messages.render_notice)


# one factory per kind (kept lazy so importing this module stays cheap)
_FACTORIES: list[Callable[[], Kind]] = [
    _rectification,
    lambda: __import__("domain.campaign", fromlist=["_"]).kind(),  # campaigns, camp- (issue 3)
    lambda: __import__("domain.project_messages", fromlist=["_"]).kind(),  # secretary projects, proj- (issue 3)
]

_KINDS: dict[str, Kind] | None = None


def kinds() -> dict[str, Kind]:
    global _KINDS
    if _KINDS is None:
        _KINDS = {kind.name: kind for kind in (factory() for factory in _FACTORIES)}
    return _KINDS


def kind_named(name: str) -> Kind:
    try:
        return kinds()[name]
    except KeyError:
        raise ValueError(f"unknown stream kind {name!r}; known: {', '.join(kinds())}") from None


def kind_of_stream(stream_id: str) -> Kind:
    for kind in kinds().values():
        if stream_id.startswith(kind.prefix):
            return kind
    raise ValueError(f"no stream kind has the prefix of {stream_id!r}")
