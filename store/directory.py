"""The organization directory repository: atomic import, reads with filters, history, outcomes.

    directory = Directory(engine)
    directory.import_records(parsed)            # all or nothing (one transaction)
    directory.organizations(region=..., domain=...)
    directory.assessments(year=..., region=...)
    directory.history(org_code=None)            # HistoryRecord per organization-year (memory rules)
    directory.record_outcome(org, year, designated=True, acceptance="failed", failed_rounds=1)
    directory.designation_inputs(year)          # (orgs, assessments, history) for domain.designation

What happens to an organization (its year's outcome, the memory evidence a year served, a secretary
replaced) is written by the functions below, inside a caller's transaction: ``record_outcome`` and the
case projection (store/projections.py, in the append's transaction) share them.

    write_outcome(conn, org, year, designated=True, acceptance=..., failed_rounds=..., person=...)
    record_evidence(conn, org, {year: rules})
    replace_secretary(conn, org, new_secretary, replaced)
    outcome_recorded(conn, org, year)           # None: unknown organization

Parsing and validating files lives in ``store.directory_import``; this module trusts its input.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from domain.directory import (
    AcceptanceResult,
    Assessment,
    HistoryRecord,
    Level,
    Organization,
    OrgDomain,
)
from store.directory_models import AssessmentRow, OrganizationRow


@dataclass
class YearRecord:
    """One organization-year from a file: the assessment and, when given, what happened that year."""

    assessment: Assessment
    person: str | None = None
    designated: bool | None = None  # None: not given (keep what is stored)
    acceptance: AcceptanceResult | None = None
    failed_acceptances: int | None = None
    project_rating: str | None = None


@dataclass
class ParsedDirectory:
    organizations: list[Organization] = field(default_factory=list)
    years: list[YearRecord] = field(default_factory=list)


@dataclass(frozen=True)
class ImportSummary:
    organizations: int
    created: int
    updated: int
    assessments: int
    years: list[int]


def _now() -> datetime:
    return datetime.now(UTC)


def to_domain(row: OrganizationRow) -> Organization:
    return Organization(
        code=row.code,
        name=row.name,
        level=Level(row.level),
        domain=OrgDomain(row.domain),
        parent=row.parent,
        region=row.region,
        secretary=row.secretary,
        secretary_vacant_since=row.secretary_vacant_since,
        leader=row.leader,
        flags=json.loads(row.flags or "[]"),
    )


def assessment_of(row: AssessmentRow) -> Assessment:
    return Assessment(
        org_code=row.org_code, year=row.year, score=row.score, rank=row.rank, star=row.star, org_class=row.org_class
    )


class Directory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------------ writing

    def import_records(self, parsed: ParsedDirectory) -> ImportSummary:
        """Upsert every organization and organization-year in one transaction (all or nothing).

        An organization-year replaces the stored score, rank, star, class and secretary; the outcome
        columns (designated, acceptance, failed rounds, project rating) only when the file gives them,
        so re-importing an assessment file never erases what a campaign recorded.
        """
        now = _now()
        created = updated = 0
        with Session(self.engine) as session, session.begin():
            for org in parsed.organizations:
                row = session.get(OrganizationRow, org.code)
                if row is None:
                    row = OrganizationRow(code=org.code, name=org.name, level=org.level.value,
                                          domain=org.domain.value, region=org.region, updated_at=now)
                    created += 1
                else:
                    updated += 1
                row.name = org.name
                row.level = org.level.value
                row.domain = org.domain.value
                row.parent = org.parent
                row.region = org.region
                row.secretary = org.secretary
                row.secretary_vacant_since = org.secretary_vacant_since
                row.leader = org.leader
                row.flags = json.dumps(org.flags, ensure_ascii=False)
                row.updated_at = now
                session.add(row)
            session.flush()
            for record in parsed.years:
                a = record.assessment
                year_row = session.get(AssessmentRow, (a.org_code, a.year))
                if year_row is None:
                    year_row = AssessmentRow(org_code=a.org_code, year=a.year, updated_at=now)
                year_row.score = a.score
                year_row.rank = a.rank
                year_row.star = a.star
                year_row.org_class = a.org_class.value if a.org_class else None
                year_row.person = record.person
                if record.designated is not None:
                    year_row.designated = record.designated
                if record.acceptance is not None:
                    year_row.acceptance = record.acceptance.value
                if record.failed_acceptances is not None:
                    year_row.failed_acceptances = record.failed_acceptances
                elif record.acceptance == AcceptanceResult.FAILED and not year_row.failed_acceptances:
                    year_row.failed_acceptances = 1
                if record.project_rating is not None:
                    year_row.project_rating = record.project_rating
                year_row.updated_at = now
                session.add(year_row)
        years = sorted({r.assessment.year for r in parsed.years})
        return ImportSummary(len(parsed.organizations), created, updated, len(parsed.years), years)

    def record_outcome(
        self,
        org_code: str,
        year: int,
        *,
        designated: bool | None = None,
        acceptance: AcceptanceResult | str | None = None,
        failed_rounds: int | None = None,
        project_rating: str | None = None,
    ) -> HistoryRecord:
        """Write back what happened to an organization in a year (the next year's rules read it).

        Creates the organization-year when the year had no assessment. ``failed_rounds`` is the
        number of failed acceptance rounds that year (a failed final ``acceptance`` implies at least
        one). Arguments left None keep the stored value. Idempotent. (``write_outcome`` in one
        transaction of its own.)
        """
        with self.engine.begin() as conn:
            if not write_outcome(
                conn, org_code, year, designated=designated, acceptance=acceptance, failed_rounds=failed_rounds,
                project_rating=project_rating,
            ):
                raise KeyError(f"unknown organization {org_code}")
        found = self.history(org_code=org_code, years=[year])
        return found[0]

    # ------------------------------------------------------------------ reading

    def organizations(
        self,
        region: str | None = None,
        domain: OrgDomain | str | None = None,
        level: Level | str | None = None,
        codes: Iterable[str] | None = None,
    ) -> list[Organization]:
        statement = select(OrganizationRow).order_by(col(OrganizationRow.code))
        if region:
            statement = statement.where(OrganizationRow.region == region)
        if domain:
            statement = statement.where(OrganizationRow.domain == OrgDomain(domain).value)
        if level:
            statement = statement.where(OrganizationRow.level == Level(level).value)
        if codes is not None:
            statement = statement.where(col(OrganizationRow.code).in_(list(codes)))
        with Session(self.engine) as session:
            return [to_domain(row) for row in session.exec(statement).all()]

    def organization(self, code: str) -> Organization | None:
        with Session(self.engine) as session:
            row = session.get(OrganizationRow, code)
            return to_domain(row) if row else None

    def count(self) -> int:
        with Session(self.engine) as session:
            return int(session.exec(select(func.count()).select_from(OrganizationRow)).one())

    def regions(self) -> list[str]:
        with Session(self.engine) as session:
            return sorted(set(session.exec(select(OrganizationRow.region)).all()))

    def assessments(
        self, year: int | None = None, org_code: str | None = None, region: str | None = None
    ) -> list[Assessment]:
        return [assessment_of(row) for row in self._assessment_rows(year, org_code, region)]

    def _assessment_rows(
        self, year: int | None = None, org_code: str | None = None, region: str | None = None,
        years: Iterable[int] | None = None,
    ) -> list[AssessmentRow]:
        statement = select(AssessmentRow).order_by(col(AssessmentRow.org_code), col(AssessmentRow.year))
        if year is not None:
            statement = statement.where(AssessmentRow.year == year)
        if years is not None:
            statement = statement.where(col(AssessmentRow.year).in_(list(years)))
        if org_code:
            statement = statement.where(AssessmentRow.org_code == org_code)
        if region:
            statement = statement.join(OrganizationRow, col(OrganizationRow.code) == col(AssessmentRow.org_code)).where(
                OrganizationRow.region == region
            )
        with Session(self.engine) as session:
            return list(session.exec(statement).all())

    def _rank_of(self) -> dict[tuple[int, str], int]:
        """How many organizations were ranked, per (year, domain): the size of each ranking."""
        statement = (
            select(AssessmentRow.year, OrganizationRow.domain, func.count())
            .join(OrganizationRow, col(OrganizationRow.code) == col(AssessmentRow.org_code))
            .where(col(AssessmentRow.rank).is_not(None))
            .group_by(col(AssessmentRow.year), col(OrganizationRow.domain))
        )
        with Session(self.engine) as session:
            return {(year, domain): n for year, domain, n in session.exec(statement).all()}

    def history(self, org_code: str | None = None, years: Iterable[int] | None = None) -> list[HistoryRecord]:
        """Every organization-year as the memory rules read it (rank_of = the size of its ranking)."""
        rank_of = self._rank_of()
        domains = {o.code: o.domain.value for o in (self.organizations(codes=[org_code]) if org_code else self.organizations())}
        records = []
        for row in self._assessment_rows(org_code=org_code, years=years):
            records.append(
                HistoryRecord(
                    org_code=row.org_code,
                    year=row.year,
                    person=row.person,
                    rank=row.rank,
                    rank_of=rank_of.get((row.year, domains.get(row.org_code, ""))) if row.rank is not None else None,
                    designated=row.designated,
                    acceptance=AcceptanceResult(row.acceptance) if row.acceptance else None,
                    failed_acceptances=row.failed_acceptances,
                    project_rating=row.project_rating,
                    proposed=json.loads(row.memory_proposed or "[]"),
                )
            )
        return records

    def designation_inputs(self, year: int) -> tuple[list[Organization], list[Assessment], list[HistoryRecord]]:
        """Everything ``domain.designation.designate`` needs for ``year`` (history: the last 10 years)."""
        years = range(year - 10, year + 1)
        return self.organizations(), self.assessments(), self.history(years=years)

    def years(self, assessed: bool = False) -> list[int]:
        """The years with rows; ``assessed``: only years with a score or a rank (a year whose rows hold only
        outcomes written back — a case's designation, a rating's star — is not an assessment)."""
        statement = select(AssessmentRow.year)
        if assessed:
            statement = statement.where(col(AssessmentRow.score).is_not(None) | col(AssessmentRow.rank).is_not(None))
        with Session(self.engine) as session:
            return sorted(set(session.exec(statement).all()))

    def domain_counts(self) -> Counter[str]:
        return Counter(o.domain.value for o in self.organizations())


# ---------------------------------------------------------------------------- writing in a caller's transaction

_ORG: Table = OrganizationRow.__table__  # type: ignore[attr-defined]
_YEAR: Table = AssessmentRow.__table__  # type: ignore[attr-defined]


def _year_of(org_code: str, year: int) -> Any:
    return (_YEAR.c.org_code == org_code) & (_YEAR.c.year == year)


def write_outcome(
    conn: Connection,
    org_code: str,
    year: int,
    *,
    designated: bool | None = None,
    acceptance: AcceptanceResult | str | None = None,
    failed_rounds: int | None = None,
    project_rating: str | None = None,
    star: int | None = None,
    person: str | None = None,
    now: datetime | None = None,
) -> bool:
    """What happened to an organization in a year, in the caller's transaction (``conn``); False, and
    nothing written, when the directory does not hold the organization.

    Arguments left None keep the stored value; a failed ``acceptance`` without ``failed_rounds``
    implies at least one failed round. A year without a row is created with ``person`` as the year's
    secretary (default: the organization's current one); an existing row keeps its person: the
    outcome never changes who answered for the year. Idempotent."""
    org = conn.execute(core_select(_ORG.c.secretary).where(_ORG.c.code == org_code)).first()
    if org is None:
        return False
    now = now or _now()
    values: dict[str, Any] = {"outcome_recorded_at": now, "updated_at": now}
    if designated is not None:
        values["designated"] = designated
    if acceptance is not None:
        values["acceptance"] = AcceptanceResult(acceptance).value
    if failed_rounds is not None:
        values["failed_acceptances"] = failed_rounds
    if project_rating is not None:
        values["project_rating"] = project_rating
    if star is not None:
        values["star"] = star  # the year's decided star level (评星定级, store/ratings.py)
    where = _year_of(org_code, year)
    if conn.execute(_YEAR.update().where(where).values(**values)).rowcount == 0:
        conn.execute(_YEAR.insert().values(org_code=org_code, year=year, person=person or org.secretary, **values))
    if acceptance is not None and AcceptanceResult(acceptance) == AcceptanceResult.FAILED and failed_rounds is None:
        unset = _YEAR.c.failed_acceptances.is_(None) | (_YEAR.c.failed_acceptances == 0)
        conn.execute(_YEAR.update().where(where & unset).values(failed_acceptances=1))
    return True


def record_evidence(conn: Connection, org_code: str, spent: Mapping[int, Iterable[str]], now: datetime | None = None) -> None:
    """The memory rules each year of ``org_code`` served as evidence for (``assessment.memory_proposed``,
    merged with what is stored; docs/memory.md), in the caller's transaction."""
    now = now or _now()
    for year, rules in sorted(spent.items()):
        where = _year_of(org_code, year)
        found = conn.execute(core_select(_YEAR.c.memory_proposed).where(where)).first()
        known = set(json.loads(found.memory_proposed or "[]")) if found is not None else set()
        if set(rules) - known:
            merged = json.dumps(sorted(known | set(rules)))
            if found is None:
                conn.execute(_YEAR.insert().values(org_code=org_code, year=year, memory_proposed=merged, updated_at=now))
            else:
                conn.execute(_YEAR.update().where(where).values(memory_proposed=merged, updated_at=now))


def replace_secretary(
    conn: Connection, org_code: str, new_secretary: str, replaced: Iterable[str | None], now: datetime | None = None
) -> bool:
    """The organization's current secretary becomes ``new_secretary`` (组织调整 carried out) only while
    the directory still names one of ``replaced`` or none: a directory import that named someone else
    since is newer and wins. The years already recorded keep their person. True when it changed."""
    org = conn.execute(core_select(_ORG.c.secretary).where(_ORG.c.code == org_code)).first()
    if org is None or org.secretary == new_secretary or org.secretary not in {*replaced, None}:
        return False
    conn.execute(
        _ORG.update().where(_ORG.c.code == org_code).values(secretary=new_secretary, secretary_vacant_since=None, updated_at=now or _now())
    )
    return True


def outcome_recorded(conn: Connection, org_code: str, year: int) -> bool | None:
    """Whether an outcome was written back for the organization's year (``outcome_recorded_at``: a
    case's projection or a campaign's year end; a file import does not set it); None when the
    directory does not hold the organization."""
    if conn.execute(core_select(_ORG.c.code).where(_ORG.c.code == org_code)).first() is None:
        return None
    found = conn.execute(core_select(_YEAR.c.outcome_recorded_at).where(_year_of(org_code, year))).first()
    return found is not None and found.outcome_recorded_at is not None
