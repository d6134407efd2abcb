"""Activity: one run of a supervision cadence (月督导、季观摩、半年通报) — read the ledgers, write the
report file, tell the supervisors. The choosing is domain/cadence.py's, the wording i18n/cadence.py's."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from temporalio import activity

from domain.cadence import CadenceKind, cadence_recipients, monthly_digest, review_list
from domain.people import DECIDER as PEOPLE
from domain.people import DIRECTORY_ID
from domain.policy import Policy
from domain.timeutil import SHANGHAI, local
from i18n.cadence import TITLES, render_digest, render_review
from store.queries import case_ledgers, fold_stream, read_stream

if TYPE_CHECKING:
    from activities.notify import Channel
    from reports.render import Kind

log = structlog.get_logger(__name__)


class CadenceRequest(BaseModel):
    kind: CadenceKind
    as_of: datetime  # the workflow's now: the run is reproducible from its history
    policy: Policy
    run_id: str  # names the files and keys the notices, so a retried activity overwrites, not adds
    # Started by hand (`pdca schedule trigger`), not at one of the schedule's moments: covers up to now.
    by_hand: bool = False
    # The schedule's moment when it ran later (moved to a working day); None when started by hand.
    scheduled_for: datetime | None = None


class CadenceResult(BaseModel):
    kind: CadenceKind
    files: list[str]
    items: int  # organizations named
    recipients: list[str]


class CadenceActivities:
    def __init__(self, engine: Engine, out_dir: Path, channel: Channel | None = None) -> None:
        self.engine = engine
        self.out_dir = out_dir
        self.channel = channel

    @activity.defn(name="run_cadence")
    def run_cadence(self, request: CadenceRequest) -> CadenceResult:
        stamp = local(request.as_of).strftime("%Y%m%d")
        folder = self.out_dir / f"{request.kind.value}-{stamp}"
        folder.mkdir(parents=True, exist_ok=True)
        cases, measures = case_ledgers(self.engine)
        files: list[Path] = []
        if request.kind == CadenceKind.MONTHLY_DIGEST:
            lines = monthly_digest(cases, measures, request.as_of, request.policy.cadence.look_ahead_days)
            items = len(lines)
            for lang in ("zh", "en"):
                files.append(_write(folder / f"digest.{lang}.md", render_digest(lines, request.as_of, lang)))
        elif request.kind == CadenceKind.QUARTERLY_REVIEW:
            ahead, behind = review_list(cases, request.policy.cadence.review_list_size)
            items = len(ahead) + len(behind)
            for lang in ("zh", "en"):
                files.append(_write(folder / f"review.{lang}.md", render_review(ahead, behind, request.as_of, lang)))
        else:
            files, items = _bulletin(self.engine, folder, request.as_of, request.by_hand)
        recipients = self.recipients(request.policy)
        title = TITLES[request.kind][0]
        message = f"【{title}】{local(request.as_of):%Y-%m-%d}：涉及 {items} 个党组织，详见 {files[0]}"
        for recipient in recipients:
            if self.channel is not None:
                self.channel.send(
                    recipient,
                    message,
                    key=f"{request.run_id}:{recipient}",
                    case_id=request.kind.value,
                    event_type=f"Cadence.{request.kind.value}",
                )
        log.info(
            "cadence_run", kind=request.kind.value, items=items, files=[str(f) for f in files], recipients=len(recipients),
            by_hand=request.by_hand, scheduled_for=request.scheduled_for.isoformat() if request.scheduled_for else None,
        )
        if not recipients:
            log.warning(
                "cadence_no_recipients", kind=request.kind.value,
                hint="name supervisors in the policy or give someone a cadence.recipient_roles role (pdca person grant)",
            )
        return CadenceResult(kind=request.kind, files=[str(f) for f in files], items=items, recipients=recipients)

    def recipients(self, policy: Policy) -> list[str]:
        """The policy's supervisors, else the people directory's active people with a
        ``cadence.recipient_roles`` role (read from its audited stream, as sign-in reads it)."""
        if policy.supervisors:
            return cadence_recipients(policy.supervisors, [], policy.cadence.recipient_roles)
        rows = read_stream(self.engine, DIRECTORY_ID)
        people = fold_stream(rows, PEOPLE).people.values() if rows else []
        return cadence_recipients([], people, policy.cadence.recipient_roles)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _bulletin(engine: Engine, folder: Path, as_of: datetime, by_hand: bool = False) -> tuple[list[Path], int]:
    """The half-year bulletin for the half-year that ended before ``as_of``: run in July it covers
    January–June of this year; run in January, the whole of last year (the second half's bulletin).
    Started by hand, the bulletin of the running year up to ``as_of`` (triggered in November it
    covers January to that moment, not 30 June)."""
    from reports.render import report_from_database  # matplotlib: only when a bulletin is due

    day = local(as_of)
    kind: Kind
    if by_hand:
        year, kind, end = day.year, "bulletin", as_of
    else:
        year, kind = (day.year, "bulletin") if day.month >= 7 else (day.year - 1, "summary")
        end = datetime(year, 7, 1, tzinfo=SHANGHAI) if kind == "bulletin" else datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    files: list[Path] = []
    total = 0
    for lang in ("zh", "en"):
        written = report_from_database(engine, kind, year, folder / lang, as_of=min(end, as_of), lang=lang, warn=False)
        files += [written.markdown, written.html]
        total = written.figures.total
    return files, total
