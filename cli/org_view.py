"""Screens of the organization directory: `pdca org list|show` and the designation preview that
`pdca campaign preview` and `pdca campaign approve` show. Rich tables and prose; no reads, no rules."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from cli.render import console_width, paren
from domain.designation import DesignationList, ReasonKind
from domain.directory import PAIRING_KIND_NAMES, Assessment, HistoryRecord, Organization, Pairing
from domain.memory import MemoryFinding
from i18n import Lang, enum_label, label

# On a terminal, its width; piped or captured, wide enough that names and reasons are never cut.
console = Console(highlight=False, markup=False, width=console_width())


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)


def describe_findings(findings: Sequence[MemoryFinding], lang: Lang) -> str:
    parts = []
    for f in findings:
        text = f.zh if lang == "zh" else f.en
        years = "、".join(str(y) for y in f.years) if lang == "zh" else ", ".join(str(y) for y in f.years)
        arrow = (
            f"（{years}）→ 建议{enum_label('rung', f.rung, lang)}"
            if lang == "zh"
            else f" ({years}) → propose {enum_label('rung', f.rung, lang)}"
        )
        parts.append(text + arrow)
    return "；".join(parts) if lang == "zh" else "; ".join(parts)


def org_list(orgs: Sequence[Organization], latest: dict[str, Assessment], lang: Lang) -> None:
    def L(key: str) -> str:
        return label(key, lang)

    table = Table()
    for column in (
        "word.code",
        "word.name",
        "word.level",
        "word.domain",
        "word.region",
        "word.secretary",
        "word.leader",
        "word.year",
        "word.score",
        "word.rank",
        "word.star",
        "word.class",
    ):
        table.add_column(L(column))
    for o in orgs:
        a = latest.get(o.code)
        secretary = o.secretary or (("缺职" if lang == "zh" else "vacant") if o.secretary_vacant_since else "-")
        table.add_row(
            o.code,
            o.name,
            enum_label("orglevel", o.level, lang),
            enum_label("orgdomain", o.domain, lang),
            o.region,
            secretary,
            o.leader or "-",
            str(a.year) if a else "-",
            _fmt(a.score) if a else "-",
            _fmt(a.rank) if a else "-",
            _fmt(a.star) if a else "-",
            enum_label("orgclass", a.org_class, lang) if a else "-",
        )
    console.print(table)
    console.print(f"{len(orgs)} " + ("个" if lang == "zh" else "organization(s)"))


def org_detail(
    org: Organization,
    years: Sequence[tuple[Assessment | None, HistoryRecord]],
    findings: Sequence[MemoryFinding],
    finding_year: int | None,
    lang: Lang,
    pairings: Sequence[Pairing] = (),
) -> None:
    def L(key: str) -> str:
        return label(key, lang)

    head = Table.grid(padding=(0, 2))
    head.add_row(L("word.code"), org.code)
    head.add_row(L("word.name"), org.name)
    head.add_row(L("word.level"), enum_label("orglevel", org.level, lang))
    head.add_row(L("word.domain"), enum_label("orgdomain", org.domain, lang))
    head.add_row(L("word.region"), org.region)
    head.add_row(L("word.parent"), org.parent or "-")
    head.add_row(L("word.secretary"), org.secretary or ("（缺职）" if lang == "zh" else "(vacant)"))
    if org.secretary_vacant_since:
        head.add_row(L("word.vacant_since"), org.secretary_vacant_since.isoformat())
    head.add_row(L("word.leader"), org.leader or "-")
    head.add_row(L("word.flags"), ("、" if lang == "zh" else ", ").join(org.flags) or "-")
    console.print(head)
    if years:
        table = Table(title="年度考核与整顿记录" if lang == "zh" else "Assessments and outcomes by year", title_justify="left")
        for column in (
            "word.year",
            "word.score",
            "word.rank",
            "word.star",
            "word.class",
            "word.secretary",
            "word.was_designated",
            "word.acceptance",
            "word.project_rating",
        ):
            table.add_column(L(column))
        for a, h in years:
            rank = "-" if h.rank is None else (f"{h.rank}/{h.rank_of}" if h.rank_of else str(h.rank))
            if h.acceptance:
                acceptance = enum_label("acceptance", h.acceptance, lang)
                failed_before = h.failed_acceptances - (1 if h.acceptance == "failed" else 0)
                if failed_before > 0:
                    extra = f"此前不合格{failed_before}轮" if lang == "zh" else f"after {failed_before} failed round(s)"
                    acceptance += paren(extra, lang)
            else:
                acceptance = "-"
            rating = {"good": ("好", "good"), "medium": ("中", "medium"), "poor": ("差", "poor")}.get(h.project_rating or "")
            table.add_row(
                str(h.year),
                _fmt(a.score) if a else "-",
                rank,
                _fmt(a.star) if a else "-",
                enum_label("orgclass", a.org_class, lang) if a else "-",
                h.person or "-",
                L("word.yes") if h.designated else L("word.no"),
                acceptance,
                (rating[0] if lang == "zh" else rating[1]) if rating else "-",
            )
        console.print(table)
    if finding_year is not None:
        title = (
            f"{L('word.memory')}（如{finding_year}年被认定）" if lang == "zh" else f"{L('word.memory')} (if designated in {finding_year})"
        )
        _say(title + ("：" if lang == "zh" else ": ") + (describe_findings(findings, lang) or ("无" if lang == "zh" else "none")))
    _say(("结对帮扶：" if lang == "zh" else "Paired with: ") + (pairing_text(pairings, lang) or ("无" if lang == "zh" else "none")))


def pairing_kind_word(kind: str, lang: Lang) -> str:
    from domain.directory import PairingKind

    return PAIRING_KIND_NAMES[PairingKind(kind)] if lang == "zh" else kind


def pairing_text(pairings: Sequence[Pairing], lang: Lang) -> str:
    """结对单位 县农业农村局（NY01：zhang.ny、li.ny）；驻村工作队 …"""
    zh = lang == "zh"
    parts = []
    for p in pairings:
        people = ("、" if zh else ", ").join(p.people) or "-"
        inner = f"（{p.unit_code}：{people}）" if zh else f" ({p.unit_code}: {people})"
        parts.append(f"{pairing_kind_word(p.kind, lang)} {p.unit_name}{inner}")
    return ("；" if zh else "; ").join(parts)


def pairing_list(pairings: Sequence[Pairing], lang: Lang) -> None:
    """`pdca org pairings`: one row per unit."""
    zh = lang == "zh"
    table = Table()
    for column in (("编码", "code"), ("名称", "name"), ("类型", "kind"), ("人员", "people"), ("结对党组织", "organizations")):
        table.add_column(column[0] if zh else column[1])
    sep = "、" if zh else ", "
    for p in pairings:
        table.add_row(p.unit_code, p.unit_name, pairing_kind_word(p.kind, lang), sep.join(p.people) or "-", sep.join(p.org_codes))
    console.print(table)
    _say(f"共 {len(pairings)} 个结对单位" if zh else f"{len(pairings)} pairing unit(s)")


def _say(text: str) -> None:
    """A line of prose: never hard-wrapped at the terminal width (tables are)."""
    console.print(text, soft_wrap=True)


def preview(result: DesignationList, policy_version: str, lang: Lang) -> None:
    def L(key: str) -> str:
        return label(key, lang)

    scope = result.region or ("全县" if lang == "zh" else "whole county")
    if lang == "zh":
        _say(
            f"{result.year}年度软弱涣散党组织认定预览：{scope}（考核年度 {result.assessed_year}；认定基准日 "
            f"{result.as_of.isoformat()}；名额范围 {'全县' if result.quota_scope == 'county' else '本乡镇'}；政策 {policy_version}）"
        )
    else:
        _say(
            f"Designation preview {result.year}: {scope} (assessment year {result.assessed_year}; as of "
            f"{result.as_of.isoformat()}; quota scope {result.quota_scope}; policy {policy_version})"
        )
    quotas = Table(title="倒排名额（按领域）" if lang == "zh" else "Ranking quota per domain", title_justify="left")
    for column in ("word.domain", "word.pool", "word.share", "word.quota", "word.by_ranking", "word.direct"):
        quotas.add_column(L(column))
    rounding_zh = {"ceil": "向上取整", "floor": "向下取整", "half_up": "四舍五入"}
    for q in result.quotas:
        if q.rounding.startswith("pool<"):
            how = f"参评数少于{q.rounding[5:]}，不设倒排名额" if lang == "zh" else f"fewer than {q.rounding[5:]} ranked: no quota"
        else:
            how = (
                f"{q.pool}×{q.share:.0%}={q.exact} → {q.quota}（{rounding_zh[q.rounding]}）"
                if lang == "zh"
                else f"{q.pool}×{q.share:.0%}={q.exact} → {q.quota} ({q.rounding})"
            )
        if q.domain is None:  # pooled ranking (designation.pooling: pooled)
            together = ("、" if lang == "zh" else "+").join(enum_label("orgdomain", d, lang) for d in q.domains)
            group = f"合并：{together}" if lang == "zh" else f"pooled: {together}"
        else:
            group = enum_label("orgdomain", q.domain, lang)
        quotas.add_row(group, str(q.pool), f"{q.share:.0%}", how, str(q.by_ranking), str(q.direct))
    console.print(quotas)
    console.print("认定名单" if lang == "zh" else "Designated organizations")
    for i, d in enumerate(result.designees, start=1):
        facts = [
            f"{d.region}·{enum_label('orgdomain', d.domain, lang)}"
            if lang == "zh"
            else f"{d.region}, {enum_label('orgdomain', d.domain, lang)}"
        ]
        if d.score is not None:
            facts.append(f"得分 {_fmt(d.score)}" if lang == "zh" else f"score {_fmt(d.score)}")
        if d.bottom_position:
            facts.append(f"倒数第 {d.bottom_position}/{d.pool}" if lang == "zh" else f"bottom {d.bottom_position} of {d.pool}")
        if d.star is not None:
            facts.append(f"{d.star}星" if lang == "zh" else f"{d.star} stars")
        if d.classification is not None:  # the 分类 result recorded with the designation
            facts.append(enum_label("orgclass", d.classification, lang))
        if d.label != "软弱涣散党组织":
            facts.append(f"认定为{d.label}" if lang == "zh" else f"listed as {d.label}")
        sep = "，" if lang == "zh" else ", "
        _say(f"{i:>3}. {d.org_code} {d.org_name}{paren(sep.join(facts), lang)}")
        for r in d.reasons:
            tag = f"【{enum_label('reason', r.code, lang)}】" if lang == "zh" else f"[{enum_label('reason', r.code, lang)}] "
            _say(f"       {L('word.reasons')}{'：' if lang == 'zh' else ': '}{tag}{r.zh if lang == 'zh' else r.en}")
        if d.memory:
            _say(f"       {L('word.memory')}{'：' if lang == 'zh' else ': '}{describe_findings(d.memory, lang)}")
    ranking = sum(1 for d in result.designees if any(r.kind == ReasonKind.RANKING for r in d.reasons))
    direct_only = len(result.designees) - ranking
    with_memory = sum(1 for d in result.designees if d.memory)
    if lang == "zh":
        _say(f"合计 {len(result.designees)} 个：考评倒排 {ranking} 个，直接认定 {direct_only} 个；触发历史记录规则 {with_memory} 个")
    else:
        _say(f"{len(result.designees)} in all: {ranking} by ranking, {direct_only} directly; {with_memory} with memory findings")
    if result.other_findings:
        _say("未认定但触发历史记录规则：" if lang == "zh" else "Not designated, with memory findings:")
        for o in result.other_findings:
            _say(
                f"     {o.org_code} {o.org_name}{paren(o.region, lang)}{'：' if lang == 'zh' else ': '}"
                f"{describe_findings(o.findings, lang)}"
            )
