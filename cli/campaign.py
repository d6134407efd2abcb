"""`pdca campaign preview|approve|status|projects|history|close-year`: 年度整顿工作 the annual campaign.

The work is service/campaigns.py (and service/directory.py for the preview); the screens are
cli/campaign_view.py and cli/org_view.py.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from cli import campaign_view, history_view, org_view
from cli.common import PolicyOpt, RequestOpt, acting, deps, emit, noun, opts, run, run_async, run_then_exit
from service import campaigns, directory
from service.errors import Refused

app = noun("年度整顿工作 the annual campaign: preview and approve designations, start cases, status, summary.")

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
        str | None, typer.Option("--as-of", help="Designation date for time-based criteria (YYYY-MM-DD) [default: 31 December of --year].")
    ] = None,
    policy_file: PolicyOpt = None,
) -> None:
    """认定预览 Who would be designated weak and lax in --year and why: quota arithmetic per domain,
    reasons (ranking or direct criteria), memory findings. Reads the directory; changes nothing."""

    def action() -> None:
        try:
            when = date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise Refused(f"--as-of: {as_of!r} is not a date (YYYY-MM-DD)") from None
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
    region and year (started now if it is not running). The campaign then starts one rectification case
    per organization, in batches; a case that already exists (e.g. opened with `pdca case open`) is
    counted, never duplicated. Approving again adds only organizations not approved before.
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
def projects(year: YearOpt, region: RegionOpt = None) -> None:
    """书记项目一览 The secretary / committee-member / branch projects of the campaign's region and year."""

    def action() -> None:
        data = campaigns.projects(deps(), year, region=region)
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
