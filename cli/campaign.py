"""`pdca campaign preview|open|step|steps|approve|standards|status|projects|history|close-year`: 年度整顿工作.

The work is service/campaigns.py (and service/directory.py for the preview); the screens are
cli/campaign_view.py and cli/org_view.py.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from cli import campaign_view, history_view, org_view
from cli.common import PolicyOpt, RequestOpt, acting, deps, emit, noun, opts, run, run_async, run_then_exit
from service import campaigns, directory, standards
from service.errors import Refused

app = noun(
    "年度整顿工作 the annual campaign: preview designations, record the designation steps, approve, start cases, status, summary."
)

YearOpt = Annotated[int, typer.Option("--year", min=2000, max=2100, help="The campaign year (designation year), e.g. 2026.")]
RegionOpt = Annotated[
    str | None,
    typer.Option("--region", help="Township / region name as in the directory (e.g. 城关镇); omit for the whole county."),
]


def _policy(policy_file: Any) -> Any:
    from settings.directory import load_policy

    return load_policy(policy_file)


@app.command("preview")
def preview(
    year: YearOpt,
    region: RegionOpt = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="认定基准日 Designation date for time-based criteria (YYYY-MM-DD, not later than today) "
            "[default: 31 December of --year].",
        ),
    ] = None,
    policy_file: PolicyOpt = None,
) -> None:
    """认定预览 Who would be designated weak and lax in --year and why: quota arithmetic per domain (or
    pooled), reasons (ranking, direct criteria, 一票否决, inspection findings), each designee's label and
    分类 result, memory findings. Reads the directory; changes nothing. docs/designation.md."""

    def action() -> None:
        when = directory.as_of_date(as_of)
        policy = _policy(policy_file)
        result = directory.designation_preview(deps(), year, policy, region=region, as_of=when)
        emit(
            {"policy_version": policy.version, **result.model_dump(mode="json")},
            lambda: org_view.preview(result, policy.version, opts().lang.value),
        )

    run(action)


@app.command("approve")
def approve(
    year: YearOpt,
    region: RegionOpt = None,
    policy_file: PolicyOpt = None,
    leader: Annotated[
        list[str] | None,
        typer.Option("--leader", help="Default liaison leader (包联领导) id for organizations without one (repeatable)."),
    ] = None,
    note: Annotated[str, typer.Option("--note", help="Approval note recorded on the event.")] = "",
    batch_size: Annotated[
        int | None,
        typer.Option("--batch-size", min=1, max=500, help="Cases started per batch (when this starts the campaign; default 50)."),
    ] = None,
    batch_pause: Annotated[
        float | None,
        typer.Option("--batch-pause", min=0, help="Seconds between start batches (when this starts the campaign; default 2)."),
    ] = None,
    request_id: RequestOpt = None,
) -> None:
    """批准认定名单并批量立案 Approve the designation list and start every case.

    Computes the list as `pdca campaign preview` does, shows it, and sends it to the campaign of that
    region and year (started now if it is not running), with each designee's label and 分类 result.
    When the campaign's policy has designation steps, every step must be recorded first
    (`pdca campaign step`). The campaign then starts one rectification case per organization, in
    batches; a case that already exists (e.g. opened with `pdca case open`) is counted, never
    duplicated. Approving again adds only organizations not approved before.
    """

    def action() -> None:
        actor = acting()
        d = deps()
        policy = _policy(policy_file)
        plan = campaigns.plan_approval(d, year, actor, policy, region=region, leaders=leader)  # the list `preview` shows
        lang = opts().lang.value
        if not opts().json:
            campaign_view.designees_table(plan.designation, lang)
        done = run_async(
            campaigns.approve(d, plan, actor, policy, request_id=request_id, note=note, batch_size=batch_size, batch_pause=batch_pause)
        )
        emit(done, lambda: campaign_view.approved(done, year, region, lang))

    run_then_exit(action)


@app.command("open")
def open_(year: YearOpt, region: RegionOpt = None, policy_file: PolicyOpt = None) -> None:
    """启动年度整顿工作 Open the campaign of --year (and --region) before its designation steps.

    The campaign keeps the policy given here: its designation.steps are the procedure that
    `pdca campaign step` records (e.g. 县级领导遍访 → 基层党委摸排 → 联席部门会诊 → 常委会议审定), recorded on
    the opening. A campaign already running is left as it is. --region must be a region of the directory
    and --year at most next year. Supervisors only.
    """

    def action() -> None:
        done = run_async(campaigns.open_campaign(deps(), acting(), region, year, _policy(policy_file)))
        emit(done, lambda: campaign_view.opened(done, opts().lang.value))

    run_then_exit(action)


@app.command("step")
def step(
    step_code: Annotated[str, typer.Argument(metavar="STEP", help="The step's code in the policy's designation.steps, e.g. visit.")],
    year: YearOpt,
    note: Annotated[str, typer.Option("--note", help="意见 What the step found or decided (required), recorded on the event.")],
    region: RegionOpt = None,
    org: Annotated[
        list[str] | None,
        typer.Option("--org", help="Organization code this step puts on the list (repeatable; in the directory and of the "
            "campaign's region); the last step's list bounds the approval."),
    ] = None,
    request_id: RequestOpt = None,
) -> None:
    """记录认定程序步骤 Record one step of the designation procedure on the running campaign.

    The campaign's policy names the steps, their order and who may record each (e.g. 县级领导遍访 by a
    county leader). Steps are recorded in order; recording a step again amends it. The list is approved
    (`pdca campaign approve`) and cases open only after the last step. If the last step names
    organizations (--org), only they may be approved. `pdca campaign steps` shows the procedure.
    """
    cid = campaigns.campaign_id(region, year)

    def action() -> None:
        done = run_async(campaigns.record_step(deps(), cid, acting(), step_code, note, org_codes=org, request_id=request_id))
        emit(done, lambda: campaign_view.step_recorded(done, step_code, opts().lang.value))

    run_then_exit(action)


@app.command("steps")
def steps(year: YearOpt, region: RegionOpt = None, policy_file: PolicyOpt = None) -> None:
    """认定程序 The designation procedure the campaign enforces and what it recorded of it (who, when, notes).

    The procedure is the one the campaign was opened with (recorded on its opening event); --policy is
    read only for a campaign opened before that was recorded whose workflow no longer runs. A campaign
    never opened is an error.
    """
    cid = campaigns.campaign_id(region, year)

    def action() -> None:
        source, rows = run_async(campaigns.steps(deps(), cid, _policy(policy_file)))
        emit(
            {"campaign_id": cid, "source": source, "steps": rows},
            lambda: campaign_view.steps(rows, cid, opts().lang.value, source),
        )

    run_then_exit(action)


@app.command("standards")
def import_standards(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX: 编码, 年度, one column per standard item.")],
    policy_file: PolicyOpt = None,
) -> None:
    """导入分类标准逐项结果 Import category-standard results (e.g. 三有一化) for the designation.

    One row per organization and year; a column per item of the policy's designation.standards (its code
    or Chinese name): points achieved, or 是/否 for a 一票否决 item. All or nothing; every bad cell is
    reported as FILE:LINE: FIELD: message. Recorded in the audit log (who, which file). docs/designation.md.
    """

    def action() -> None:
        zh = opts().lang.value == "zh"
        try:
            done = run_async(standards.import_standards(deps(), file, _policy(policy_file)))
        except directory.ImportRejected as rejected:
            for error in rejected.errors:
                print(f"{'错误：' if zh else 'error: '}{file}:{error.line}: {error.field}: {error.message}", file=sys.stderr)
            count = len(rejected.errors)
            raise Refused(f"{count} 处错误，未导入任何数据" if zh else f"{count} problem(s); nothing imported") from None
        years = "、".join(str(y) for y in done.years)
        emit(
            done,
            lambda: print(
                f"✓ 已导入 {file}：{done.organizations} 个党组织的分类标准结果 {done.rows} 项（{years}年）"
                if zh
                else f"✓ imported {file}: {done.rows} standard results of {done.organizations} organizations ({years})"
            ),
        )

    run_then_exit(action)


@app.command("status")
def status(
    year: YearOpt,
    region: RegionOpt = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Ask the campaign to check its cases now first (needs Temporal).")] = False,
) -> None:
    """年度整顿进度 The campaign's progress: cases started/total, stages by township, overdue, on-time rate.

    Reads the campaign ledger (figures of the last check: monthly, after starting cases, or --refresh).
    """
    campaign_id = campaigns.campaign_id(region, year)

    def action() -> None:
        d = deps()
        if refresh:
            run_async(campaigns.refresh(d, campaign_id))
        data = campaigns.status(d, campaign_id)
        if data is None:
            raise Refused(
                f"no campaign {campaign_id}: approve a designation first (`pdca campaign approve --year {year}"
                + (f" --region {region}" if region else "")
                + "`)"
            )
        emit(data, lambda: campaign_view.status(data, opts().lang.value))

    if refresh:
        run_then_exit(action)
    else:
        run(action)


@app.command("projects")
def projects(
    year: YearOpt,
    region: RegionOpt = None,
    level: Annotated[
        str | None,
        typer.Option("--level", help="Only this level: secretary (书记项目) / committee_member (委员项目) / branch (支部项目)."),
    ] = None,
    limit: Annotated[
        int,
        typer.Option("--limit", min=0, help="Projects listed per level (0: figures only; the rest: `pdca project list --level …`)."),
    ] = 20,
    every: Annotated[bool, typer.Option("--all", help="List every project of each level (no --limit).")] = False,
) -> None:
    """书记项目 / 委员项目 / 支部项目一览 The year's projects of the region (or county), level by level.

    Each level under its own title with its figures: applied (申报), approved (立项), completed (结题),
    rated good / medium / poor, overdue (逾期), promoted (典型推广); then its first --limit projects.
    """

    def action() -> None:
        data = campaigns.projects(deps(), year, region=region, level=level, limit=None if every else limit)
        emit(data, lambda: campaign_view.projects(data, opts().lang.value))

    run(action)


@app.command("history")
def history(year: YearOpt, region: RegionOpt = None) -> None:
    """全程纪实 The campaign's audit trail: approvals, start batches, checks, the year-end summary, write-back."""

    def action() -> None:
        rows = campaigns.history(deps(), campaigns.campaign_id(region, year))
        emit(history_view.history_json(rows), lambda: history_view.history(rows, opts().lang.value))

    run(action)


@app.command("close-year")
def close_year(
    year: YearOpt,
    region: RegionOpt = None,
    note: Annotated[str, typer.Option("--note", help="Note recorded with the year-end summary.")] = "",
    request_id: RequestOpt = None,
) -> None:
    """年度总结 Close the campaign's year now (it closes itself on 31 Dec 18:00 otherwise).

    Records the year-end summary (on-time rate, carried-over cases, upgrades) and writes each designated
    organization's outcome back to the directory history that next year's designation reads.
    """
    campaign_id = campaigns.campaign_id(region, year)

    def action() -> None:
        done = run_async(campaigns.close_year(deps(), campaign_id, acting(), note=note, request_id=request_id))
        emit(done, lambda: campaign_view.closed(done, opts().lang.value))

    run_then_exit(action)
