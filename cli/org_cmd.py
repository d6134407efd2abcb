"""`pdca org`: 组织 the organization directory: import, list, show."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.common import DbOpt, JsonOpt, Lang, LangOpt, run
from cli.directory_view import (
    console,
    domain_option,
    org_detail,
    org_list,
    with_directory,
)
from cli.errors import CliError
from cli.render import print_json
from cli.settings import load_policy
from domain.directory import Assessment, parse_level
from domain.memory import Moment, evaluate_memory
from store.db import default_database_url, make_engine
from store.directory import Directory
from store.directory_import import HEADERS, ImportFailed, parse_file

app = typer.Typer(
    help="组织 the organization directory (党组织名录): import organizations and annual assessments, list, show.",
    no_args_is_help=True,
)

PolicyOpt = Annotated[Path | None, typer.Option("--policy", help="Policy YAML [env PDCA_POLICY; default: built-in].")]


def _field(name: str, lang: Lang) -> str:
    if name in HEADERS and lang == Lang.zh:
        return f"{name}（{HEADERS[name][0]}）"
    return name


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GB18030) or XLSX; one row per organization per year.")],
    db: DbOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """导入 Import organizations and their assessments from CSV or XLSX (Chinese or English headers).

    Every row is checked first: if any is bad, each problem is printed as FILE:LINE: FIELD: message
    and nothing is imported (exit 1). Re-importing updates what is there (by code, and code + year).
    """

    def action() -> None:
        from store.migrate import upgrade

        engine = make_engine(db or default_database_url())
        upgrade(engine)
        directory = Directory(engine)
        known = [o.code for o in directory.organizations()]
        try:
            parsed = parse_file(file, known)
        except ImportFailed as failed:
            prefix = "错误：" if lang == Lang.zh else "error: "
            for error in failed.errors:
                print(f"{prefix}{file}:{error.line}: {_field(error.field, lang)}: {error.message}", file=sys.stderr)
            raise CliError(
                f"{len(failed.errors)} 处错误，未导入任何数据" if lang == Lang.zh
                else f"{len(failed.errors)} problem(s); nothing imported"
            ) from None
        summary = directory.import_records(parsed)
        years = f"{summary.years[0]}–{summary.years[-1]}" if summary.years else "-"
        if as_json:
            print_json({"file": str(file), "organizations": summary.organizations, "created": summary.created,
                        "updated": summary.updated, "assessments": summary.assessments, "years": summary.years})
        elif lang == Lang.zh:
            console.print(f"✓ 已导入 {file}：党组织 {summary.organizations} 个（新增 {summary.created}，更新 {summary.updated}），"
                          f"年度考核 {summary.assessments} 条（{years}年）", soft_wrap=True)
        else:
            console.print(f"✓ imported {file}: {summary.organizations} organizations ({summary.created} new, "
                          f"{summary.updated} updated), {summary.assessments} assessments ({years})", soft_wrap=True)

    run(action, lang)


@app.command("list")
def list_orgs(
    region: Annotated[str | None, typer.Option("--region", help="Only this region / township, e.g. 城关镇.")] = None,
    domain: Annotated[str | None, typer.Option("--domain", callback=domain_option, help="Only this domain: 农村/village, 社区/community, 机关/organ, 学校/school, 企业/enterprise, 社会组织/social_org, 其他/other.")] = None,
    level: Annotated[str | None, typer.Option("--level", help="Only this level: 党委/committee, 党总支/general_branch, 党支部/branch.")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Show this year's assessment [default: each one's latest].")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """名录 List organizations with their latest (or --year) assessment."""

    def action() -> None:
        try:
            level_value = parse_level(level).value if level else None
        except ValueError as error:
            raise CliError(f"--level: {error}") from None

        def query(directory: Directory) -> tuple[list, dict[str, Assessment]]:
            orgs = directory.organizations(region=region, domain=domain, level=level_value)
            latest: dict[str, Assessment] = {}
            for a in directory.assessments(year=year, region=region):
                latest[a.org_code] = a  # ordered by year: the last is the latest
            return orgs, latest

        orgs, latest = with_directory(db, query)
        if as_json:
            print_json([
                {**o.model_dump(mode="json"), "assessment": latest[o.code].model_dump(mode="json") if o.code in latest else None}
                for o in orgs
            ])
        else:
            org_list(orgs, latest, lang.value)

    run(action, lang)


@app.command("show")
def show(
    code: Annotated[str, typer.Argument(help="Organization code, e.g. V3007.")],
    policy_file: PolicyOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """查看 One organization: attributes, its years of assessments, designations and acceptance outcomes,
    and the memory rules (历史记录规则) that would fire were it designated in its latest year."""

    def action() -> None:
        policy = load_policy(policy_file)

        def query(directory: Directory):  # type: ignore[no-untyped-def]
            org = directory.organization(code)
            if org is None:
                raise CliError(f"unknown organization {code}")
            return org, directory.assessments(org_code=code), directory.history(org_code=code)

        org, assessments, history = with_directory(db, query)
        by_year = {a.year: a for a in assessments}
        years = [(by_year.get(h.year), h) for h in history]
        latest = history[-1] if history else None
        findings = []
        if latest is not None:
            findings = evaluate_memory(code, history, latest.year, Moment.DESIGNATION, policy.memory,
                                       person=org.secretary, designated_now=True)
        if as_json:
            print_json({
                "organization": org.model_dump(mode="json"),
                "years": [{"assessment": a.model_dump(mode="json") if a else None, "history": h.model_dump(mode="json")} for a, h in years],
                "memory": {"year": latest.year if latest else None, "findings": [f.model_dump(mode="json") for f in findings]},
            })
        else:
            org_detail(org, years, findings, latest.year if latest else None, lang.value)

    run(action, lang)

