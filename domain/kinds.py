"""The kinds of audited streams, as Decider values (domain/decider.py), by name and stream-id prefix.

One registry, so activities (audit metrics, notices), projections and the CLI handle every kind the
same way. The words each kind's events say to people are i18n's (``i18n.render_notice``).
"""

from __future__ import annotations

from typing import Any

from domain import campaign, inspection, people, project, rating, rectification
from domain.decider import Decider

# rectification cases (rect-), annual campaigns (camp-), secretary projects (proj-), the people directory (dir-),
# inspections (insp-), star ratings (star-)
DECIDERS: tuple[Decider[Any, Any, Any], ...] = (
    rectification.DECIDER, campaign.DECIDER, project.DECIDER, people.DECIDER, inspection.DECIDER, rating.DECIDER,
)  # fmt: skip


def decider_named(name: str) -> Decider[Any, Any, Any]:
    for decider in DECIDERS:
        if decider.name == name:
            return decider
    raise ValueError(f"unknown stream kind {name!r}; known: {', '.join(d.name for d in DECIDERS)}")


def decider_of_stream(stream_id: str) -> Decider[Any, Any, Any]:
    for decider in DECIDERS:
        if decider.owns(stream_id):
            return decider
    raise ValueError(f"no stream kind has the prefix of {stream_id!r}")
