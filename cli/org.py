"""`pdca org import|list|show`: 组织 the organization directory (党组织名录).

The work is service/directory.py; the screens are cli/org_view.py.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cli import org_view
from cli.common import Lang, PolicyOpt, deps, emit, noun, opts, run, run_async
from service import directory
from service.errors import Refused

app = noun("组织 the organization directory (党组织名录): import organizations and annual assessments, list, show.")


def domain_option(value: str | None) -> str | None:
    """Typer callback: accept 农村 or village; fail (usage, exit 2) with the accepted words."""
    try:
        return directory.parse_domain_word(value)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def _field(name: str, lang: Lang) -> str:
    if name in directory.HEADERS and lang == Lang.zh:
        return f"{name}（{directory.HEADERS[name][0]}）"
    return name


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GB18030) or XLSX; one row per organization per year.")],
) -> None:
    """导入 Import organizations and their assessments from CSV or XLSX (Chinese or English headers).

    Every row is checked first: if any is bad, each problem is printed as FILE:LINE: FIELD: message
    and nothing is imported (exit 1). Re-importing updates what is there (by code, and code + year).
    """

    def action() -> None:
        lang = opts().lang
        zh = lang == Lang.zh
        try:
            summary = run_async(directory.import_file(deps(), file))
        except directory.ImportRejected as rejected:
            for error in rejected.errors:
                print(f"{'错误：' if zh else 'error: '}{file}:{error.line}: {_field(error.field, lang)}: {error.message}", file=sys.stderr)
            raise Refused(
                f"{len(rejected.errors)} 处错误，未导入任何数据" if zh else f"{len(rejected.errors)} problem(s); nothing imported"
            ) from None
        years = f"{summary.years[0]}–{summary.years[-1]}" if summary.years else "-"
        data = {
            "file": str(file),
            "organizations": summary.organizations,
            "created": summary.created,
            "updated": summary.updated,
            "assessments": summary.assessments,
            "years": summary.years,
        }

        def show() -> None:
            if zh:
                org_view.console.print(
                    f"✓ 已导入 {file}：党组织 {summary.organizations} 个（新增 {summary.created}，更新 {summary.updated}），"
                    f"年度考核 {summary.assessments} 条（{years}年）",
                    soft_wrap=True,
                )
            else:
                org_view.console.print(
                    f"✓ imported {file}: {summary.organizations} organizations ({summary.created} new, "
                    f"{summary.updated} updated), {summary.assessments} assessments ({years})",
                    soft_wrap=True,
                )

        emit(data, show)

    run(action)


@app.command("list")
def list_orgs(
    region: Annotated[str | None, typer.Option("--region", help="Only this region / township, e.g. 城关镇.")] = None,
    domain: Annotated[
        str | None,
        typer.Option(
            "--domain",
            callback=domain_option,
            help="Only this domain: 农村/village, 社区/community, 机关/organ, 学校/school, 企业/enterprise, "
            "社会组织/social_org, 其他/other.",
        ),
    ] = None,
    level: Annotated[
        str | None, typer.Option("--level", help="Only this level: 党委/committee, 党总支/general_branch, 党支部/branch.")
    ] = None,
    year: Annotated[int | None, typer.Option("--year", help="Show this year's assessment [default: each one's latest].")] = None,
) -> None:
    """名录 List organizations with their latest (or --year) assessment."""

    def action() -> None:
        rows = directory.list_organizations(deps(), region=region, domain=domain, level=level, year=year)
        data = [
            {**r.organization.model_dump(mode="json"), "assessment": r.assessment.model_dump(mode="json") if r.assessment else None}
            for r in rows
        ]
        latest = {r.organization.code: r.assessment for r in rows if r.assessment is not None}
        emit(data, lambda: org_view.org_list([r.organization for r in rows], latest, opts().lang.value))

    run(action)


@app.command("show")
def show(
    code: Annotated[str, typer.Argument(help="Organization code, e.g. V3007.")],
    policy_file: PolicyOpt = None,
) -> None:
    """查看 One organization: attributes, its years of assessments, designations and acceptance outcomes,
    the memory rules (历史记录规则) that would fire were it designated in its latest year, and the pairing
    units paired with it (结对单位、联村领导、驻村工作队)."""

    def action() -> None:
        from settings.directory import load_policy

        record = directory.show_organization(deps(), code, load_policy(policy_file))
        data = {
            "organization": record.organization.model_dump(mode="json"),
            "years": [
                {"assessment": a.model_dump(mode="json") if a else None, "history": h.model_dump(mode="json")} for a, h in record.years
            ],
            "memory": {"year": record.finding_year, "findings": [f.model_dump(mode="json") for f in record.findings]},
            "pairings": [p.model_dump(mode="json") for p in record.pairings],
        }
        emit(
            data,
            lambda: org_view.org_detail(
                record.organization, record.years, record.findings, record.finding_year, opts().lang.value, record.pairings
            ),
        )

    run(action)


pairings_app = noun(
    "结对 pairing units (1+N 结对共建单位、联村领导、驻村工作队): import them from a file, list them (docs/pairing.md)."
)
app.add_typer(pairings_app, name="pairings")


@pairings_app.command("import")
def import_pairings(
    file: Annotated[
        Path,
        typer.Argument(help="CSV (UTF-8 or GB18030) or XLSX, one row per unit: 单位编码, 单位名称, 类型, 人员, 结对组织."),
    ],
) -> None:
    """导入结对单位 Import pairing units: each with its people (person ids) and the organizations it is paired with.

    Every row is checked first (organizations must be in the directory, people in the people directory):
    if any is bad, each problem is printed as FILE:LINE: FIELD: message and nothing is imported (exit 1).
    Re-importing a unit replaces its name, kind, people and organizations; units not in the file stay.
    """
    from service import pairings

    def action() -> None:
        lang = opts().lang
        zh = lang == Lang.zh
        try:
            summary = run_async(pairings.import_file(deps(), file))
        except pairings.PairingImportRejected as rejected:
            for error in rejected.errors:
                field = error.field
                if zh and field in pairings.PAIRING_HEADERS:
                    field = f"{field}（{pairings.PAIRING_HEADERS[field][0]}）"
                print(f"{'错误：' if zh else 'error: '}{file}:{error.line}: {field}: {error.message}", file=sys.stderr)
            raise Refused(
                f"{len(rejected.errors)} 处错误，未导入任何数据" if zh else f"{len(rejected.errors)} problem(s); nothing imported"
            ) from None
        data = {"file": str(file), "units": summary.units, "created": summary.created, "updated": summary.updated, "links": summary.links}

        def show() -> None:
            if zh:
                text = (
                    f"✓ 已导入 {file}：结对单位 {summary.units} 个（新增 {summary.created}，更新 {summary.updated}），"
                    f"结对关系 {summary.links} 条"
                )
            else:
                text = (
                    f"✓ imported {file}: {summary.units} pairing units ({summary.created} new, {summary.updated} updated), "
                    f"{summary.links} pairings"
                )
            org_view.console.print(text, soft_wrap=True)

        emit(data, show)

    run(action)


@pairings_app.command("list")
def list_pairings(
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only this kind: 结对单位/paired_unit, 联村领导/liaison_leader, 驻村工作队/work_team.")
    ] = None,
    org: Annotated[str | None, typer.Option("--org", help="Only the units paired with this organization code.")] = None,
) -> None:
    """结对单位列表 List pairing units with their people and organizations."""
    from service import pairings

    def action() -> None:
        rows = pairings.pairings_of(deps(), org) if org else pairings.list_pairings(deps(), kind)
        if org and kind:
            wanted = pairings.list_pairings(deps(), kind)
            rows = [r for r in rows if r.unit_code in {w.unit_code for w in wanted}]
        emit([r.model_dump(mode="json") for r in rows], lambda: org_view.pairing_list(rows, opts().lang.value))

    run(action)
