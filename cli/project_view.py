"""The project screens (书记项目): detail, list, and the details column of the history screen
(cli/history_view.py). Chinese labels first, English with --lang en."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.table import Table

from cli.render import console, keep_whole, when
from domain.project import ProjectState
from i18n import Lang, enum_label, label

if TYPE_CHECKING:
    from service.projects import ProjectList

_when = when


def stage(value: str, lang: Lang) -> str:
    return enum_label("pstage", value, lang)


def detail(s: ProjectState, lang: Lang) -> None:
    """查看项目: the project's head, reviews, milestones, quarterly reports, progress ledger, sanctions."""

    def L(key: str) -> str:
        return label(key, lang)

    zh = lang == "zh"
    head = Table.grid(padding=(0, 2))
    head.add_row(L("word.project"), s.project_id)
    head.add_row(L("word.level"), enum_label("level", s.level, lang))
    head.add_row(L("word.org"), f"{s.org_name}（{s.org_code}）" if zh else f"{s.org_name} ({s.org_code})")
    head.add_row(L("word.region"), s.region)
    head.add_row(L("word.year"), str(s.year))
    head.add_row(L("word.owner"), s.owner)
    head.add_row(L("word.stage"), stage(s.stage, lang))
    head.add_row(L("word.application"), enum_label("application", s.application_status, lang) + f" #{s.round}")
    head.add_row(L("word.revision_rounds"), str(s.revision_rounds))
    if s.application:
        a = s.application
        head.add_row(L("word.title"), a.title)
        head.add_row(L("word.problem"), a.problem)
        head.add_row(L("word.goals"), "；".join(a.goals) if zh else "; ".join(a.goals))
        head.add_row(L("word.measures"), "；".join(a.measures) if zh else "; ".join(a.measures))
        head.add_row(L("word.final_deadline"), _when(a.deadline))
    if s.evaluation:
        e = s.evaluation
        head.add_row(L("word.rating"), f"{enum_label('rating', e.rating, lang)} ({L('word.satisfaction')} {e.satisfaction:.0%}, {e.by})")
    console.print(head)

    if s.reviews:
        reviews = Table(title=L("word.reviews"), title_justify="left")
        for column in ("#", L("word.status"), L("word.actor"), L("word.time"), L("word.details")):
            reviews.add_column(column)
        for r in s.reviews:
            reviews.add_row(str(r.round), enum_label("application", r.decision, lang), r.by, _when(r.at), r.comments)
        console.print(reviews)

    milestones = Table(title=L("word.milestones"), title_justify="left")
    for column in ("ID", L("word.description"), L("word.deadline"), L("word.status")):
        milestones.add_column(column)
    for m in s.milestones:
        status = (
            L("word.done") + (f"（{L('word.late')}）" if zh and m.late else (" (late)" if m.late else ""))
            if m.done
            else (L("word.overdue") if m.overdue else L("word.open"))
        )
        milestones.add_row(m.id, m.description, _when(m.deadline), status)
    console.print(milestones)

    if s.reports:
        reports = Table(title=L("word.reports"), title_justify="left")
        for column in (L("word.quarter"), L("word.due"), L("word.status"), L("word.urges")):
            reports.add_column(column)
        for due in s.reports:
            if due.submitted_at:
                status = f"{L('word.submitted')} {_when(due.submitted_at)}" + (f" {L('word.late')}" if due.late else "")
            else:
                status = L("word.missing") if due.reminded else "-"
            reports.add_row(f"Q{due.quarter}", _when(due.due), status, str(due.urges))
        console.print(reports)

    if s.progress:
        ledger = Table(title=L("word.progress_ledger"), title_justify="left")
        for column in (L("word.time"), L("word.actor"), "ID", L("word.details")):
            ledger.add_column(column)
        for p in s.progress:
            ledger.add_row(_when(p.at), p.by, p.milestone_id or "-", p.note + (f" [{', '.join(p.evidence)}]" if p.evidence else ""))
        console.print(ledger)

    if s.proposals:
        sanctions = Table(title=L("word.sanctions"), title_justify="left")
        for column in ("ID", L("word.rung"), L("word.status"), L("word.due"), L("word.details")):
            sanctions.add_column(column)
        for proposal in s.proposals:
            sanctions.add_row(
                proposal.proposal_id,
                enum_label("rung", proposal.rung, lang),
                enum_label("proposal", proposal.status, lang),
                _when(proposal.decide_by),
                proposal.reason,
            )
        console.print(sanctions)


def project_list(found: ProjectList, lang: Lang) -> None:
    """`pdca project list`: one page of the project ledger, then the total and the page."""
    rows = found.rows

    def L(key: str) -> str:
        return label(key, lang)

    table = Table()
    for column in (
        L("word.project"),
        L("word.level"),
        L("word.org"),
        L("word.owner"),
        L("word.region"),
        L("word.stage"),
        L("word.milestones"),
        L("word.reports"),
        L("word.urges"),
        L("word.rating"),
        L("word.next_due"),
    ):
        table.add_column(column)
    keep_whole(table, [r.project_id for r in rows])
    for r in rows:
        rating = (
            enum_label("rating", r.rating, lang) + (f" {r.satisfaction:.0%}" if r.satisfaction is not None else "") if r.rating else "-"
        )
        table.add_row(
            r.project_id,
            enum_label("level", r.level, lang),
            r.org_name,
            r.owner,
            r.region,
            stage(r.stage, lang) + (" ⚠" if r.overdue else ""),
            f"{r.milestones_done}/{r.milestones_total}",
            f"{r.quarterly_reports}/{r.reports_due}",
            str(r.urges_sent),
            rating,
            _when(r.next_due),
        )
    if rows:
        console.print(table)
    console.print(page_line(found, lang))


def page_line(found: ProjectList, lang: Lang) -> str:
    """共 930 个项目，第 1/19 页 / 930 project(s), page 1/19 (no page with --all)."""
    paged = found.page_size is not None
    beyond = paged and found.page > found.pages
    if lang == "zh":
        note = f"（没有第 {found.page} 页，最后一页是第 {found.pages} 页）" if beyond else ""
        return f"共 {found.total} 个项目" + (f"，第 {found.page}/{found.pages} 页" if paged else "") + note
    note = f" (no page {found.page}: the last is {found.pages})" if beyond else ""
    return f"{found.total} project(s)" + (f", page {found.page}/{found.pages}" if paged else "") + note


def event_details(event: Any, lang: Lang) -> str:
    data = event.model_dump(mode="json", exclude={"type", "at", "actor", "policy_version"})
    t = event.type
    if t in {"ProjectApplied", "ApplicationRevised"}:
        a = data["application"]
        return f"#{data['round']} {a['title']}: " + ", ".join(
            f"{m['id']}@{_when(datetime.fromisoformat(m['deadline']))}" for m in a["milestones"]
        )
    if t == "ApplicationApproved":
        return ", ".join(f"Q{r['quarter']}@{_when(datetime.fromisoformat(r['due']))}" for r in data["reports_due"])
    if t == "ApplicationReturned":
        return f"{data['returns']}/{data['limit']} {data['comments']}"
    if t in {"ReportReminderSent", "ReportUrged"}:
        urge = f" {data['urge']}/{data['of']}" if t == "ReportUrged" else ""
        return f"Q{data['quarter']}{urge} → {','.join(data['recipients'])}"
    if t in {"MilestoneReminderSent", "MilestoneOverdue"}:
        return f"{data['milestone_id']} → {','.join(data['recipients'])}"
    if t == "ProjectEvaluated":
        return f"{enum_label('rating', data['rating'], lang)} {data['satisfaction']:.0%} {data['comments']}".strip()
    if t == "DutyReviewRecorded":
        done_of = f"{data['milestones_done']}/{data['milestones_total']}"
        return f"{data['secretary']}: {enum_label('rating', data['rating'], lang)}, {done_of}, urges {data['urges']}"
    if t in {"SanctionProposed", "SanctionDecided", "SanctionLapsed"}:
        extra = data.get("decision") and enum_label("proposal", data["decision"], lang) or data.get("reason", "")
        return f"{data['proposal_id']} {enum_label('rung', data['rung'], lang)} {extra}".strip()
    if t == "QuarterlyReportSubmitted":
        return f"Q{data['quarter']} {data['note']}" + (" (late)" if data["late"] else "")
    text = " ".join(str(data[k]) for k in ("milestone_id", "note", "comments") if data.get(k))
    evidence = data.get("evidence") or []
    return text + (f" [{', '.join(evidence)}]" if evidence else "")
