"""Designation of weak and lax organizations (认定): bottom-N % per domain and direct criteria. Pure.

    designate(orgs, assessments, history, year, policy, memory, region=None, as_of=None) -> DesignationList

Rules (every number is a policy setting):

* **Ranking pool.** For each domain (农村, 社区, 机关, …), the organizations of ``ranked_levels`` that
  have an assessment with a score for the assessed year (``year - assessment_year_offset``). With
  ``quota_scope: county`` (default) the pool is the whole county and ``region`` only filters the
  resulting list, so each township's list is exactly its share of the county list; with
  ``quota_scope: region`` the pool is the region's organizations alone.
* **Pooling.** ``pooling: per_domain`` (default) ranks each domain on its own; ``pooling: pooled`` ranks
  every organization of ``pooled_domains`` (all domains when unset) in one pool with one quota of
  ``pooled_share`` (“全区按后10%划定”), whatever domain the bottom ones are in.
* **Quota.** ``quota = ceil(pool × share)`` (``rounding``: ceil, floor or half_up), computed in exact
  decimal arithmetic (10 % of 30 is 3, never 4), where ``share`` is ``shares[domain]`` or
  ``default_share``. A domain whose pool has fewer than ``min_pool`` organizations gets no ranking
  quota (its organizations can still be designated directly).
* **Order (倒排) and ties.** Worst first: lower score first; equal scores → the larger imported rank
  number (worse) first, a missing rank after any rank; still equal → organization code ascending.
  The order never depends on the input order.
* **Direct criteria (直接认定)** always designate, regardless of the quota: star rating below
  ``star_below`` (default 3); secretary post vacant for at least ``secretary_vacant_for`` (default
  180 days) on the designation date ``as_of`` (default 31 December of ``year``); flagged by another
  department (any flag, or one of ``flag_codes``); class 三类 when ``third_class`` is on (default off);
  a veto item (一票否决) of its domain's category standard occurred; its standard total below the
  standard's ``designate_below``; inspection findings referred to this designation (``inspection``).
* **Category standards and 分类.** A domain may have a standard of its own (e.g. 社区 by 三有一化):
  items with points and veto items, read from ``standards`` (org code → item code → points achieved;
  a veto item: 1 = the situation occurred). Each designee carries its 分类 result (一/二/三类): a veto →
  三类; else the standard's class lines over its total; else the imported class (类别). And its label:
  what its designees are called (the standard's ``label``, else ``labels[domain]``, else 软弱涣散党组织).
* **Direct designees and the quota.** With ``direct_consumes_quota: false`` (default) the quota is
  filled from the bottom of the ranking *skipping* directly designated organizations: exactly
  ``min(quota, pool - direct in pool)`` organizations are designated by ranking alone, in addition to
  every direct designee (“倒排 N% 加直接认定”). With ``true`` the bottom ``quota`` of the ranking are
  designated whatever else applies to them, and direct designees outside it are added.

Each designee carries its reasons (ranking and/or direct, Chinese and English), its place in the
ranking and the memory findings (domain.memory) at designation, evidence an earlier case's proposal
already cited skipped (``spent_evidence``, as the case's own rules do); ``Designee.open_case`` builds the
``OpenCase`` command of a rectification case from it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.actors import Actor
from domain.directory import (
    Assessment,
    HistoryRecord,
    Level,
    Organization,
    OrgClass,
    OrgDomain,
    zh_name,
)
from domain.memory import MemoryFinding, evaluate_memory, spent_evidence
from domain.policy.designation import CategoryStandard, Days, DesignationPolicy, ReasonCode
from domain.policy.memory import MemoryPolicy, Moment
from domain.rectification import Basis, BasisKind, OpenCase, ProblemInput

# The quotas and criteria are a policy section (domain.policy.designation); re-exported for their old path.
__all__ = [
    "Days",
    "DesignationList",
    "DesignationPolicy",
    "Designee",
    "DomainQuota",
    "OrgFindings",
    "Reason",
    "ReasonCode",
    "ReasonKind",
    "StandardResult",
    "classify",
    "designate",
    "evaluate_standard",
    "ranking_key",
]


class ReasonKind(StrEnum):
    RANKING = "ranking"  # 综合考评倒排
    DIRECT = "direct"  # 直接认定情形


class Reason(BaseModel):
    kind: ReasonKind
    code: ReasonCode
    zh: str
    en: str
    category: str = "other"  # the problem category it opens the case with


class StandardResult(BaseModel):
    """An organization measured by its domain's category standard (e.g. 三有一化)."""

    standard: str
    total: float  # points achieved over the point items
    full: float  # the point items' full points
    vetoes: list[str] = Field(default_factory=list)  # veto items (一票否决情形) that occurred, by code
    veto_texts: list[str] = Field(default_factory=list)
    org_class: OrgClass | None = None  # the standard's 分类 (None: no class lines, no veto)


def evaluate_standard(standard: CategoryStandard, results: Mapping[str, float]) -> StandardResult:
    """The total over the point items (a missing item scores 0, a score is capped at the item's points)
    and the veto items that occurred (value > 0). A veto classes 三类 whatever the total."""
    total = 0.0
    vetoes: list[str] = []
    texts: list[str] = []
    for item in standard.items:
        value = results.get(item.code)
        if item.veto:
            if value is not None and value > 0:
                vetoes.append(item.code)
                texts.append(item.zh)
            continue
        if value is not None:
            total += max(0.0, min(float(value), item.points))
    if vetoes:
        org_class: OrgClass | None = OrgClass.THIRD
    else:
        org_class = standard.classes.of(total) if standard.classes is not None else None
    return StandardResult(
        standard=standard.name, total=round(total, 4), full=standard.full_points, vetoes=vetoes, veto_texts=texts, org_class=org_class
    )


def classify(assessment: Assessment | None, standard: StandardResult | None) -> OrgClass | None:
    """The 分类 result: the standard's (a veto or its class lines), else the imported class (类别)."""
    if standard is not None and standard.org_class is not None:
        return standard.org_class
    return assessment.org_class if assessment is not None else None


class DomainQuota(BaseModel):
    """The quota arithmetic of one domain (or of the pooled ranking), shown by `pdca campaign preview`."""

    domain: OrgDomain | None  # None: the pooled ranking over ``domains``
    domains: list[OrgDomain] = Field(default_factory=list)  # pooled: the domains ranked together
    pool: int  # organizations ranked in the domain (in the quota scope)
    share: float
    exact: str  # pool × share, before rounding, e.g. "12.3"
    rounding: str
    quota: int
    by_ranking: int  # designated by ranking (in the quota scope)
    direct: int  # designated directly (in the quota scope, whether ranked or not)


class Designee(BaseModel):
    org_code: str
    org_name: str
    region: str
    domain: OrgDomain
    level: Level
    reasons: list[Reason]
    score: float | None = None
    rank: int | None = None  # the imported rank (1 = best)
    bottom_position: int | None = None  # 倒数第 k in the domain's ranking pool
    pool: int | None = None
    star: int | None = None
    org_class: OrgClass | None = None  # the imported class (类别)
    secretary: str | None = None
    leader: str | None = None
    memory: list[MemoryFinding] = Field(default_factory=list)
    label: str = "软弱涣散党组织"  # what the list calls it (e.g. 三有一化薄弱社区党组织)
    classification: OrgClass | None = None  # the 分类 result recorded with the designation (一/二/三类)
    standard: StandardResult | None = None  # its category standard's result, when one applies
    findings: list[str] = Field(default_factory=list)  # inspection findings referred to the designation
    # This organization's records of previous years as the designation read them: the case's memory
    # rules (domain.rectification) are evaluated over them again at opening and at acceptance.
    history: list[HistoryRecord] = Field(default_factory=list, exclude=True)

    @property
    def by_ranking(self) -> bool:
        return any(r.kind == ReasonKind.RANKING for r in self.reasons)

    @property
    def direct(self) -> bool:
        return any(r.kind == ReasonKind.DIRECT for r in self.reasons)

    def open_case(self, year: int, actor: Actor, leaders_default: Sequence[str]) -> OpenCase:
        """The OpenCase command for this designee's rectification case."""
        ranking = [r for r in self.reasons if r.kind == ReasonKind.RANKING]
        direct = [r for r in self.reasons if r.kind == ReasonKind.DIRECT]
        kind = BasisKind.RANKING if ranking and not direct else BasisKind.DIRECT
        detail = "；".join(r.zh for r in ranking + direct)
        if self.label != "软弱涣散党组织":
            detail = f"认定为{self.label}：{detail}"
        problems: list[ProblemInput] = []
        seen: set[tuple[str, str]] = set()
        for reason in ranking + direct:
            key = (reason.category, reason.zh)
            if key not in seen:
                seen.add(key)
                problems.append(ProblemInput(category=reason.category, description=reason.zh))
        leaders = [self.leader] if self.leader else list(leaders_default)
        if not leaders:
            raise ValueError(f"{self.org_code} has no liaison leader (包联领导) and no default was given")
        return OpenCase(
            actor=actor,
            org_code=self.org_code,
            org_name=self.org_name,
            region=self.region,
            year=year,
            basis=Basis(kind=kind, detail=detail, rank=self.rank),
            problems=problems,
            leaders=leaders,
            secretary=self.secretary,
            history=[r for r in self.history if r.org_code == self.org_code],
        )


class OrgFindings(BaseModel):
    """Memory findings of an organization that is not designated this year."""

    org_code: str
    org_name: str
    region: str
    findings: list[MemoryFinding]


class DesignationList(BaseModel):
    year: int
    assessed_year: int
    region: str | None
    as_of: date
    quota_scope: str
    quotas: list[DomainQuota]
    designees: list[Designee]
    other_findings: list[OrgFindings] = Field(default_factory=list)
    pooling: str = "per_domain"
    # 分类 results over the organizations in scope (一类/二类/三类 → how many), designated or not
    classes: dict[str, int] = Field(default_factory=dict)

    def codes(self) -> list[str]:
        return [d.org_code for d in self.designees]


def _fmt_decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def ranking_key(assessment: Assessment) -> tuple[float, int, int, str]:
    """Worst first: lower score, then larger rank number, missing rank last, then code."""
    score = assessment.score if assessment.score is not None else math.inf
    has_rank = 0 if assessment.rank is not None else 1
    return (score, has_rank, -(assessment.rank or 0), assessment.org_code)


def _direct_reasons(
    org: Organization,
    assessment: Assessment | None,
    policy: DesignationPolicy,
    as_of: date,
    standard: tuple[CategoryStandard, StandardResult] | None,
    findings: Sequence[str],
    downgrades: Sequence[str] = (),
) -> list[Reason]:
    reasons: list[Reason] = []

    def add(code: ReasonCode, zh: str, en: str, category: str | None = None) -> None:
        reasons.append(Reason(kind=ReasonKind.DIRECT, code=code, zh=zh, en=en, category=category or policy.category_for(code)))

    star = assessment.star if assessment is not None else None
    if policy.star_below is not None and star is not None and star < policy.star_below:
        add(
            ReasonCode.STAR_BELOW,
            f"星级评定{star}星（低于{policy.star_below}星）",
            f"star rating {star} (below {policy.star_below})",
        )
    if policy.secretary_vacant_for is not None and org.secretary_vacant_since is not None:
        vacant = as_of - org.secretary_vacant_since
        if vacant >= policy.secretary_vacant_for:
            limit = policy.secretary_vacant_for.days
            add(
                ReasonCode.SECRETARY_VACANT,
                f"书记缺职{vacant.days}天（自{org.secretary_vacant_since.isoformat()}起，超过{limit}天）",
                f"secretary post vacant for {vacant.days} days (since {org.secretary_vacant_since.isoformat()}, limit {limit})",
            )
    if policy.flagged and org.flags:
        flags = [f for f in org.flags if policy.flag_codes is None or f in policy.flag_codes]
        if flags:
            add(ReasonCode.FLAGGED, f"相关部门标记：{'、'.join(flags)}", f"flagged by other departments: {', '.join(flags)}")
    if policy.third_class and assessment is not None and assessment.org_class == OrgClass.THIRD:
        add(ReasonCode.THIRD_CLASS, "分类定级为三类（后进）", "classed third (lagging)")
    if standard is not None:
        spec, result = standard
        items = {i.code: i for i in spec.items}
        for code in result.vetoes:
            item = items[code]
            add(
                ReasonCode.VETO,
                f"{spec.name}一票否决：{item.zh}",
                f"{spec.name} veto item: {item.en or item.zh}",
                item.category,
            )
        if spec.designate_below is not None and not result.vetoes and result.total < spec.designate_below:
            add(
                ReasonCode.STANDARD,
                f"{spec.name}标准得分{result.total:g}（满分{result.full:g}，低于{spec.designate_below:g}）",
                f"{spec.name} standard: {result.total:g} of {result.full:g} (below {spec.designate_below:g})",
            )
    if policy.inspection and findings:
        add(
            ReasonCode.INSPECTION,
            f"督查发现问题移交认定：{'；'.join(findings)}",
            f"inspection findings referred to the designation: {'; '.join(findings)}",
        )
    if policy.star_downgraded and downgrades:
        add(
            ReasonCode.STAR_DOWNGRADED,
            f"评星定级年中降星：{'；'.join(downgrades)}",
            f"star level lowered by a veto event: {'; '.join(downgrades)}",
        )
    return reasons


def _rank_pool(
    scope: Sequence[Organization], assessed: Mapping[str, Assessment], policy: DesignationPolicy, domain: OrgDomain | None
) -> list[Assessment]:
    return sorted(
        (
            assessed[o.code]
            for o in scope
            if (o.domain == domain if domain is not None else policy.in_pool(o.domain))
            and o.level in policy.ranked_levels
            and o.code in assessed
            and assessed[o.code].score is not None
        ),
        key=ranking_key,
    )


def designate(
    orgs: Iterable[Organization],
    assessments: Iterable[Assessment],
    history: Iterable[HistoryRecord],
    year: int,
    policy: DesignationPolicy,
    memory: MemoryPolicy,
    region: str | None = None,
    as_of: date | None = None,
    standards: Mapping[str, Mapping[str, float]] | None = None,
    referred: Mapping[str, Sequence[str]] | None = None,
    downgraded: Mapping[str, Sequence[str]] | None = None,
) -> DesignationList:
    """Who is designated in ``year`` and why. Deterministic whatever the order of the inputs.

    ``standards``: category-standard item results of the assessed year (org code → item code → points;
    a veto item 1 when it occurred). ``referred``: inspection findings referred to this designation
    (org code → finding references). ``downgraded``: star ratings lowered by a veto event (org code → what
    was lowered and why; store.ratings.downgraded)."""
    as_of = as_of or date(year, 12, 31)
    assessed_year = year - policy.assessment_year_offset
    by_code: dict[str, Organization] = {}
    for org in sorted(orgs, key=lambda o: o.code):
        by_code.setdefault(org.code, org)
    assessed: dict[str, Assessment] = {}
    for a in sorted(assessments, key=lambda a: (a.org_code, a.year)):
        if a.year == assessed_year and a.org_code in by_code:
            assessed.setdefault(a.org_code, a)
    history_list = sorted(history, key=lambda h: (h.org_code, h.year))
    by_org_history: dict[str, list[HistoryRecord]] = {}
    for record in history_list:
        by_org_history.setdefault(record.org_code, []).append(record)
    standards = standards or {}
    referred = referred or {}
    downgraded = downgraded or {}

    def in_scope(org: Organization) -> bool:
        return region is None or org.region == region

    quota_scope = [o for o in by_code.values() if policy.quota_scope == "county" or in_scope(o)]

    measured: dict[str, tuple[CategoryStandard, StandardResult]] = {}
    for org in by_code.values():
        spec = policy.standard_for(org.domain)
        if spec is not None and org.code in standards:
            measured[org.code] = (spec, evaluate_standard(spec, standards[org.code]))

    direct: dict[str, list[Reason]] = {}
    for org in by_code.values():
        referrals = sorted(dict.fromkeys(referred.get(org.code, [])))
        lowered = downgraded.get(org.code, [])
        reasons = _direct_reasons(org, assessed.get(org.code), policy, as_of, measured.get(org.code), referrals, lowered)
        if reasons:
            direct[org.code] = reasons

    ranking_reasons: dict[str, Reason] = {}
    positions: dict[str, tuple[int, int]] = {}
    quotas: list[DomainQuota] = []
    groups: list[OrgDomain | None] = [None] if policy.pooling == "pooled" else list(OrgDomain)
    for domain in groups:
        pool = _rank_pool(quota_scope, assessed, policy, domain)
        members = [o for o in quota_scope if (o.domain == domain if domain is not None else policy.in_pool(o.domain))]
        direct_in_scope = sum(1 for o in members if o.code in direct)
        if not pool and not direct_in_scope:
            continue
        for position, a in enumerate(pool, start=1):
            positions[a.org_code] = (position, len(pool))
        quota = policy.quota(len(pool), domain)
        chosen: list[Assessment] = []
        for a in pool:
            if len(chosen) >= quota:
                break
            if a.org_code in direct and not policy.direct_consumes_quota:
                continue
            chosen.append(a)
        pooled_domains = sorted({o.domain for o in members}, key=list(OrgDomain).index) if domain is None else []
        for a in chosen:
            position, size = positions[a.org_code]
            rank_text = f"，考核排名第{a.rank}" if a.rank is not None else ""
            rank_en = f", rank {a.rank}" if a.rank is not None else ""
            if domain is None:
                zh_group = f"{'、'.join(zh_name(d) for d in pooled_domains)}合并"
                en_group = "pooled " + "+".join(d.value.replace("_", " ") for d in pooled_domains)
            else:
                zh_group, en_group = f"{zh_name(domain)}类", domain.value.replace("_", " ")
            ranking_reasons[a.org_code] = Reason(
                kind=ReasonKind.RANKING,
                code=ReasonCode.RANKING,
                zh=f"{assessed_year}年度综合考评{zh_group}倒排第{position}名（共{size}个，得分{a.score:g}{rank_text}）",
                en=f"{assessed_year} assessment, {en_group}: bottom {position} of {size} (score {a.score:g}{rank_en})",
                category=policy.category_for(ReasonCode.RANKING),
            )
        share = policy.pooled_share if domain is None else policy.share_for(domain)
        quotas.append(
            DomainQuota(
                domain=domain,
                domains=pooled_domains,
                pool=len(pool),
                share=share,
                exact=_fmt_decimal(Decimal(len(pool)) * Decimal(str(share))),
                rounding=policy.rounding if len(pool) >= policy.min_pool else f"pool<{policy.min_pool}",
                quota=quota,
                by_ranking=len(chosen),
                direct=direct_in_scope,
            )
        )

    designees: list[Designee] = []
    other: list[OrgFindings] = []
    classes: dict[str, int] = {}
    for org in by_code.values():
        if not in_scope(org):
            continue
        found = assessed.get(org.code)
        standard = measured.get(org.code)
        org_class = classify(found, standard[1] if standard else None)
        if org_class is not None:
            classes[org_class.value] = classes.get(org_class.value, 0) + 1
        reasons = ([ranking_reasons[org.code]] if org.code in ranking_reasons else []) + direct.get(org.code, [])
        records = by_org_history.get(org.code, [])
        # evidence an earlier case's proposal already cited is spent, as the case's own rules skip it
        # (domain/rectification/memory.py): the list shows only proposals the case will make
        spent = spent_evidence(records)
        if not reasons:
            findings = evaluate_memory(
                org.code, records, year, Moment.DESIGNATION, memory, person=org.secretary, designated_now=False, spent=spent
            )
            if findings:
                other.append(OrgFindings(org_code=org.code, org_name=org.name, region=org.region, findings=findings))
            continue
        place = positions.get(org.code)
        designees.append(
            Designee(
                org_code=org.code,
                org_name=org.name,
                region=org.region,
                domain=org.domain,
                level=org.level,
                reasons=reasons,
                score=found.score if found else None,
                rank=found.rank if found else None,
                bottom_position=place[0] if place else None,
                pool=place[1] if place else None,
                star=found.star if found else None,
                org_class=found.org_class if found else None,
                secretary=org.secretary,
                leader=org.leader,
                memory=evaluate_memory(org.code, records, year, Moment.DESIGNATION, memory, person=org.secretary, spent=spent),
                history=records,
                label=policy.label_for(org.domain),
                classification=org_class,
                standard=standard[1] if standard else None,
                findings=sorted(dict.fromkeys(referred.get(org.code, []))),
            )
        )
    designees.sort(key=lambda d: (list(OrgDomain).index(d.domain), d.bottom_position or 10**9, d.org_code))
    return DesignationList(
        year=year,
        assessed_year=assessed_year,
        region=region,
        as_of=as_of,
        quota_scope=policy.quota_scope,
        quotas=quotas,
        designees=designees,
        other_findings=other,
        pooling=policy.pooling,
        classes=dict(sorted(classes.items(), key=lambda kv: list(OrgClass).index(OrgClass(kv[0])))),
    )
