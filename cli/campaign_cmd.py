"""`pdca campaign`: 年度整顿工作 the annual campaign: preview and approve designations, start cases, status, summary."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cli.common import DbOpt, JsonOpt, Lang, LangOpt, run

app = typer.Typer(help="年度整顿工作 the annual campaign: preview and approve designations, start cases, status, summary.", no_args_is_help=True)


# ----------------------------------------------------------------------------- preview (directory area)


def designation_list(year: int, region: str | None, as_of: date | None, policy_file: Path | None, db: str | None):  # type: ignore[no-untyped-def]
    """The designation list from the directory and the policy: (DesignationList, Policy). Raises CliError."""
    from cli.directory_view import with_directory
    from cli.errors import CliError
    from cli.settings import load_policy
    from domain.designation import designate

    policy = load_policy(policy_file)

    def query(directory):  # type: ignore[no-untyped-def]
        if directory.count() == 0:
            raise CliError("the organization directory is empty: run `pdca org import FILE` first")
        assessed = year - policy.designation.assessment_year_offset
        years = directory.years()
        if assessed not in years:
            known = f"{years[0]}–{years[-1]}" if years else "none"
            raise CliError(f"no assessments for {assessed} in the directory (years: {known})")
        if region is not None and region not in directory.regions():
            raise CliError(f"unknown region {region!r}; known: {', '.join(directory.regions())}")
        return directory.designation_inputs(year)

    orgs, assessments, history = with_directory(db, query)
    result = designate(orgs, assessments, history, year, policy.designation, policy.memory, region=region, as_of=as_of)
    return result, policy


@app.command("preview")
def preview(
    year: Annotated[int, typer.Option("--year", min=2000, max=2100, help="Campaign year, e.g. 2026.")],
    region: Annotated[str | None, typer.Option("--region", help="Only this region / township [default: the whole county].")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Designation date for time-based criteria (YYYY-MM-DD) [default: 31 December of --year].")
    ] = None,
    policy_file: Annotated[Path | None, typer.Option("--policy", help="Policy YAML [env PDCA_POLICY; default: built-in].")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """认定预览 Who would be designated weak and lax in --year and why: quota arithmetic per domain,
    reasons (ranking or direct criteria), memory findings. Reads the directory; changes nothing."""
    from cli import directory_view
    from cli.errors import CliError
    from cli.render import print_json

    def action() -> None:
        try:
            when = date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise CliError(f"--as-of: {as_of!r} is not a date (YYYY-MM-DD)") from None
        result, policy = designation_list(year, region, when, policy_file, db)
        if as_json:
            print_json({"policy_version": policy.version, **result.model_dump(mode="json")})
        else:
            directory_view.preview(result, policy.version, lang.value)

    run(action, lang)


# ----------------------------------------------------------------------------- (campaign commands follow)


# ============================================================================ campaign: approve, status, projects, close-year
# (helper H6; `preview` above is helper H3's. The Temporal side is in cli/campaign_ops.py.)

import uuid as _uuid
from datetime import UTC
from datetime import datetime as _datetime
from datetime import timedelta as _timedelta
from pathlib import Path as _Path
from typing import Annotated as _Annotated
from typing import Any as _Any

from cli.common import (
    ActorOpt as _ActorOpt,
)
from cli.common import (
    ActorsOpt as _ActorsOpt,
)
from cli.common import (
    DbOpt as _DbOpt,
)
from cli.common import (
    JsonOpt as _JsonOpt,
)
from cli.common import (
    Lang as _Lang,
)
from cli.common import (
    LangOpt as _LangOpt,
)
from cli.common import (
    RequestOpt as _RequestOpt,
)
from cli.common import (
    TimeoutOpt as _TimeoutOpt,
)
from cli.common import (
    reading as _reading,
)
from cli.common import (
    run as _run,
)
from cli.common import (
    run_async as _run_async,
)
from cli.common import (
    run_then_exit as _run_then_exit,
)
from cli.errors import CliError as _CliError

_YearOpt = _Annotated[int, typer.Option("--year", min=2000, max=2100, help="The campaign year (designation year), e.g. 2026.")]
_RegionOpt = _Annotated[
    str | None,
    typer.Option("--region", help="Township / region name as in the directory (e.g. 城关镇); omit for the whole county."),
]
_PolicyOpt = _Annotated[_Path | None, typer.Option("--policy", help="Policy YAML [env PDCA_POLICY; default: built-in].")]


def _campaign_id(region: str | None, year: int) -> str:
    from domain.campaign import campaign_id_for

    return campaign_id_for(region, year)


def _designees_table(designation: _Any, lang: str) -> None:
    from rich.table import Table

    from cli.render import console
    from domain.labels import label

    zh = lang == "zh"
    table = Table(title=(f"{designation.year}年度 认定名单（{len(designation.designees)}个）" if zh
                         else f"Designated for {designation.year} ({len(designation.designees)})"))
    for key in ("word.org", "word.township", "word.basis"):
        table.add_column(label(key, lang))
    for d in designation.designees:
        reasons = "；".join(r.zh if zh else r.en for r in d.reasons)
        table.add_row(f"{d.org_name}（{d.org_code}）" if zh else f"{d.org_name} ({d.org_code})", d.region, reasons)
    console.print(table)


@app.command("approve")
def approve(
    year: _YearOpt,
    region: _RegionOpt = None,
    actor_id: _ActorOpt = None,
    actors: _ActorsOpt = None,
    policy_file: _PolicyOpt = None,
    leader: _Annotated[
        list[str] | None,
        typer.Option("--leader", help="Default liaison leader (包联领导) id for organizations without one (repeatable)."),
    ] = None,
    note: _Annotated[str, typer.Option("--note", help="Approval note recorded on the event.")] = "",
    batch_size: _Annotated[int, typer.Option("--batch-size", min=1, max=500, help="Cases started per batch (when this starts the campaign).")] = 50,
    batch_pause: _Annotated[float, typer.Option("--batch-pause", min=0, help="Seconds between start batches (when this starts the campaign).")] = 2.0,
    request_id: _RequestOpt = None,
    timeout: _TimeoutOpt = 30.0,
    db: _DbOpt = None,
    as_json: _JsonOpt = False,
    lang: _LangOpt = _Lang.zh,
) -> None:
    """批准认定名单并批量立案 Approve the designation list and start every case.

    Computes the list as `pdca campaign preview` does, shows it, and sends it to the campaign of that
    region and year (started now if it is not running). The campaign then starts one rectification case
    per organization, in batches; a case that already exists (e.g. opened with `pdca open`) is counted,
    never duplicated. Approving again adds only organizations not approved before.
    """
    from cli.campaign_ops import approve as send_approval
    from cli.campaign_ops import ensure_campaign
    from cli.cases import connect_or_fail
    from cli.render import console, print_json
    from cli.settings import resolve_actor
    from domain.campaign import CampaignSettings
    from worker import task_queue

    def action() -> None:
        actor = resolve_actor(actor_id, actors)
        designation, policy = designation_list(year, region, None, policy_file, db)  # the same list as `preview`
        if not designation.designees:
            raise _CliError(f"nobody is designated for {year}{' in ' + region if region else ''}: nothing to approve")
        defaults = list(leader or []) or list(policy.supervisors) or [actor.id]
        try:
            opens = [d.open_case(year, actor, defaults) for d in designation.designees]
        except ValueError as error:
            raise _CliError(str(error)) from None
        if not as_json:
            _designees_table(designation, lang.value)
        settings = CampaignSettings(start_batch_size=batch_size, batch_pause=_timedelta(seconds=batch_pause))
        rid = request_id or _uuid.uuid4().hex
        campaign_id = _campaign_id(region, year)

        async def go() -> _Any:
            client = await connect_or_fail(min(timeout, 10))
            await ensure_campaign(client, actor, region, year, policy, settings, task_queue(), timeout)
            return await send_approval(client, campaign_id, actor, opens, rid, timeout, settings.approval_chunk, note)

        results = _run_async(go())
        last = results[-1]
        added = sum(1 for r in results if r.events)
        if as_json:
            print_json({"campaign_id": campaign_id, "request_id": rid, "designees": [o.org_code for o in opens],
                        "designated": last.designated, "started": last.started, "pending": last.pending,
                        "version": last.version, "approvals_recorded": added})
        elif lang == _Lang.zh:
            what = "批准认定名单" if added else "名单无新增（均已批准）"
            console.print(f"✓ {campaign_id}：{what}；认定 {last.designated} 个，已立案 {last.started} 个，待立案 {last.pending} 个（版本 {last.version}）")
            console.print(f"  立案进度：pdca campaign status --year {year}" + (f" --region {region}" if region else ""))
        else:
            what = "designation approved" if added else "nothing new (all already approved)"
            console.print(f"✓ {campaign_id}: {what}; designated {last.designated}, started {last.started}, to start {last.pending} (version {last.version})")

    _run_then_exit(action, lang)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _print_status(data: dict[str, _Any], lang: str) -> None:
    from rich.table import Table

    from cli.render import console, when
    from domain.labels import label

    zh = lang == "zh"
    L = lambda key: label(key, lang)
    head = Table.grid(padding=(0, 2))
    head.add_row(L("word.campaign"), data["campaign_id"])
    head.add_row(L("word.region"), data["region"] or ("全县" if zh else "county-wide"))
    head.add_row(L("word.stage"), label(f"campaign_stage.{data['stage']}", lang))
    head.add_row(L("word.designated"), str(data["designated"]))
    started = data["started"] + data["existing"]
    extra = (f"（其中此前已立案 {data['existing']}）" if zh else f" (of which {data['existing']} already existed)") if data["existing"] else ""
    head.add_row(L("word.started"), f"{started}/{data['designated']}{extra}")
    figures = data["figures"]
    checked = _datetime.fromisoformat(data["last_check_at"]) if data["last_check_at"] else None
    head.add_row(L("word.last_check"), when(checked))
    if figures:
        head.add_row(L("word.overdue_cases"), f"{figures['overdue_cases']}（{L('word.overdue_measures')} {figures['overdue_measures']}）" if zh
                     else f"{figures['overdue_cases']} ({figures['overdue_measures']} measures)")
        head.add_row(L("word.escalations"), str(figures["escalations"]))
        head.add_row(L("word.closed_cases"), f"{figures['closed']}（{L('word.upgraded')} {figures['upgraded']}）" if zh
                     else f"{figures['closed']} ({figures['upgraded']} upgraded)")
        head.add_row(L("word.on_time_rate"), _pct(figures["on_time_rate"]))
        if figures.get("projects"):
            p = figures["projects"]
            head.add_row(L("word.projects"), f"{p['total']}")
    console.print(head)
    summary = data["summary"]
    if summary:
        console.print(
            (f"年度总结：认定 {summary['designated']}，按期完成率 {_pct(summary['on_time_rate'])}，"
             f"结转下年 {len(summary['carried_over'])}，晋位升级 {len(summary['upgraded'])}，星级/类别提升 {len(summary['org_upgrades'])}")
            if zh else
            (f"Year-end summary: designated {summary['designated']}, on time {_pct(summary['on_time_rate'])}, "
             f"carried over {len(summary['carried_over'])}, upgraded {len(summary['upgraded'])}, star/class up {len(summary['org_upgrades'])}")
        )
    stages = [s for s in ("designated", "planning", "implementing", "checking", "consolidating", "closed")
              if figures and any(s in row for row in figures["by_region"].values())]
    table = Table(title="按乡镇 by township" if zh else "By township")
    table.add_column(L("word.township"))
    table.add_column(L("word.started"), justify="right")
    for stage in stages:
        table.add_column(label(f"stage.{stage}", lang), justify="right")
    by_region = figures["by_region"] if figures else {}
    for township, starts in data["starts_by_township"].items():
        row = by_region.get(township, {})
        table.add_row(township, f"{starts['started'] + starts['existing']}/{starts['designated']}", *(str(row.get(s, 0)) for s in stages))
    total = figures["by_stage"] if figures else {}
    table.add_row(L("word.total"), f"{started}/{data['designated']}", *(str(total.get(s, 0)) for s in stages))
    console.print(table)


@app.command("status")
def status(
    year: _YearOpt,
    region: _RegionOpt = None,
    refresh: _Annotated[bool, typer.Option("--refresh", help="Ask the campaign to check its cases now first (needs Temporal).")] = False,
    timeout: _TimeoutOpt = 30.0,
    db: _DbOpt = None,
    as_json: _JsonOpt = False,
    lang: _LangOpt = _Lang.zh,
) -> None:
    """年度整顿进度 The campaign's progress: cases started/total, stages by township, overdue, on-time rate.

    Reads the campaign ledger (figures of the last check: monthly, after starting cases, or --refresh).
    """
    from cli.campaign_ops import refresh as ask_refresh
    from cli.campaign_ops import status_data
    from cli.render import print_json

    campaign_id = _campaign_id(region, year)

    def action() -> None:
        if refresh:
            from cli.cases import connect_or_fail

            async def go() -> _Any:
                client = await connect_or_fail(min(timeout, 10))
                return await ask_refresh(client, campaign_id, timeout)

            _run_async(go())
        data = _reading(db, lambda log: status_data(log.engine, campaign_id))
        if data is None:
            raise _CliError(f"no campaign {campaign_id}: approve a designation first (`pdca campaign approve --year {year}"
                            + (f" --region {region}" if region else "") + "`)")
        if as_json:
            print_json(data)
        else:
            _print_status(data, lang.value)

    if refresh:
        _run_then_exit(action, lang)
    else:
        _run(action, lang)


@app.command("projects")
def projects(
    year: _YearOpt,
    region: _RegionOpt = None,
    db: _DbOpt = None,
    as_json: _JsonOpt = False,
    lang: _LangOpt = _Lang.zh,
) -> None:
    """书记项目一览 The secretary / committee-member / branch projects of the campaign's region and year."""
    from rich.table import Table

    from activities.campaign import project_rows
    from cli.render import console, print_json
    from reports.figures import project_figures

    def action() -> None:
        rows = _reading(db, lambda log: project_rows(log.engine, region, year)) or []
        figures = project_figures(rows, _datetime.now(UTC), year=year, region=region)
        if as_json:
            print_json({"year": year, "region": region, "projects": rows, "figures": figures.model_dump(mode="json")})
            return
        zh = lang == _Lang.zh
        if not rows:
            console.print(f"{year}年度{region or '全县'}暂无书记项目" if zh else f"no secretary projects for {year}{' in ' + region if region else ''}")
            return
        table = Table(title=f"{year}年度书记项目（{len(rows)}个）" if zh else f"Secretary projects {year} ({len(rows)})")
        from domain.labels import enum_label, label

        lang_code = "zh" if zh else "en"
        headers = {
            "project_id": ("项目", "project"), "org_name": ("党组织", "organization"), "region": ("乡镇", "region"),
            "level": ("类别", "level"), "stage": ("阶段", "stage"), "rating": ("评价", "rating"),
            "overdue_milestones": ("逾期节点", "overdue milestones"),
        }
        coded = {"level": "level", "stage": "pstage", "rating": "rating"}  # values shown with their labels
        columns = [c for c in headers if c in rows[0]]
        for c in columns:
            table.add_column(headers[c][0 if zh else 1])
        for r in rows:
            table.add_row(*(
                "" if r.get(c) is None else enum_label(coded[c], r[c], lang_code) if c in coded else str(r[c])
                for c in columns
            ))
        console.print(table)
        sep = "，" if zh else ", "
        ratings = sep.join(f"{label('rating.' + k, lang_code)} {v}" for k, v in figures.ratings.items())
        console.print(f"评价：{ratings}；逾期节点 {figures.overdue_milestones}；典型推广 {figures.models_promoted}" if zh
                      else f"ratings: {ratings}; overdue milestones {figures.overdue_milestones}; promoted {figures.models_promoted}")

    _run(action, lang)


@app.command("close-year")
def close_year(
    year: _YearOpt,
    region: _RegionOpt = None,
    note: _Annotated[str, typer.Option("--note", help="Note recorded with the year-end summary.")] = "",
    actor_id: _ActorOpt = None,
    actors: _ActorsOpt = None,
    request_id: _RequestOpt = None,
    timeout: _TimeoutOpt = 30.0,
    as_json: _JsonOpt = False,
    lang: _LangOpt = _Lang.zh,
) -> None:
    """年度总结 Close the campaign's year now (it closes itself on 31 Dec 18:00 otherwise).

    Records the year-end summary (on-time rate, carried-over cases, upgrades) and writes each designated
    organization's outcome back to the directory history that next year's designation reads.
    """
    from cli.campaign_ops import send
    from cli.cases import send_command
    from cli.render import console, print_json
    from domain.campaign import CloseYear

    campaign_id = _campaign_id(region, year)

    def action() -> None:
        result = send_command(send, campaign_id, lambda actor: CloseYear(actor=actor, note=note), actor_id, actors, request_id, timeout)
        if as_json:
            print_json(result.model_dump(mode="json"))
        elif lang == _Lang.zh:
            console.print(f"✓ {campaign_id}：年度总结已记录（版本 {result.version}）；认定 {result.designated} 个，已立案 {result.started} 个；结果写回组织档案")
        else:
            console.print(f"✓ {campaign_id}: year closed (version {result.version}); designated {result.designated}, started {result.started}; outcomes written back")

    _run_then_exit(action, lang)
