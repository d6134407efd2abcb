"""The organization directory (党组织名录) for any door: import a file, list, show one, preview a designation.

    import_file(deps, path)                          -> ImportSummary   (raises ImportRejected: every bad row)
    list_organizations(deps, region=, domain=, level=, year=) -> list[OrgListing]
    organization_count(deps), assessment_years(deps)
    show_organization(deps, code, policy)            -> OrgRecord
    designation_preview(deps, year, policy, region=, as_of=) -> DesignationList

Reads and writes go through ``store.directory`` (the repository) and ``store.directory_import`` (the
file parser); the designation itself is ``domain.designation.designate``. Database errors are the
``Deps``' (a database without the directory tables is ``Refused`` with what to run, one that cannot be
reached ``Unavailable``); a refusal never leaves half an import behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

from domain.designation import DesignationList, designate
from domain.directory import Assessment, HistoryRecord, Organization, Pairing, parse_domain, parse_level
from domain.memory import MemoryFinding, Moment, evaluate_memory, spent_evidence
from domain.policy import Policy
from domain.timeutil import SHANGHAI
from service.bootstrap import Deps
from service.errors import Refused
from store import inspections, ratings
from store.directory import Directory, ImportSummary
from store.directory_import import HEADERS, ImportFailed, RowError, parse_file
from store.standards import standard_results

__all__ = [
    "HEADERS",
    "ImportRejected",
    "ImportSummary",
    "OrgListing",
    "OrgRecord",
    "assessment_years",
    "as_of_date",
    "designation_preview",
    "import_file",
    "list_organizations",
    "organization_count",
    "parse_domain_word",
    "show_organization",
]

T = TypeVar("T")


class ImportRejected(Refused):
    """A file with bad rows: nothing was imported. ``errors`` are every bad row (line, field, message)."""

    def __init__(self, path: Path, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in {path}; nothing imported")
        self.path = path
        self.errors = errors


@dataclass(frozen=True)
class OrgListing:
    """An organization with the assessment shown next to it (its latest, or the year asked for)."""

    organization: Organization
    assessment: Assessment | None


@dataclass(frozen=True)
class OrgRecord:
    """One organization: its years (assessment if any, and what happened that year), and the memory rules
    (历史记录规则) that would fire were it designated in its latest year."""

    organization: Organization
    years: list[tuple[Assessment | None, HistoryRecord]]
    finding_year: int | None
    findings: list[MemoryFinding] = field(default_factory=list)
    pairings: list[Pairing] = field(default_factory=list)  # 结对单位、联村领导、驻村工作队 (docs/pairing.md)


def _read(deps: Deps, action: Callable[[Directory], T]) -> T:
    return deps.reading(lambda engine: action(Directory(engine)))


def parse_domain_word(value: str | None) -> str | None:
    """农村 or village → "village"; raises ValueError naming the accepted words."""
    return None if value is None else parse_domain(value).value


async def import_file(deps: Deps, path: Path) -> ImportSummary:
    """Import organizations and assessments from CSV (UTF-8 or GB18030) or XLSX, all or nothing; the
    database is migrated first. Raises ``ImportRejected`` with every bad row.

    The import is an audited command of ``deps.caller`` (an administrator or a supervisor): a
    ``RecordImport`` on the people directory's stream names the file, its SHA-256 digest and the codes
    it touches, and only once the workflow accepted it are the rows written."""
    from service.people import record_import
    from store.migrate import upgrade

    with deps.database(create=True) as engine:
        upgrade(engine)
        directory = Directory(engine)
        known = [o.code for o in directory.organizations()]
        try:
            parsed = parse_file(path, known)
        except ImportFailed as failed:
            raise ImportRejected(path, list(failed.errors)) from None
    codes = sorted({o.code for o in parsed.organizations})
    figures = {"organizations": len(codes), "new": len(set(codes) - set(known)), "assessments": len(parsed.years)}
    await record_import(deps, "organizations", path, figures, codes)
    with deps.database() as engine:
        return Directory(engine).import_records(parsed)


def list_organizations(
    deps: Deps,
    *,
    region: str | None = None,
    domain: str | None = None,
    level: str | None = None,
    year: int | None = None,
) -> list[OrgListing]:
    """Organizations (filters left None keep all) with their latest assessment, or ``year``'s.
    ``domain`` and ``level`` take the Chinese or English words; an unknown level is ``Refused``."""
    try:
        level_value = parse_level(level).value if level else None
    except ValueError as error:
        raise Refused(f"--level: {error}") from None
    try:
        domain_value = parse_domain_word(domain)
    except ValueError as error:
        raise Refused(f"--domain: {error}") from None

    def query(directory: Directory) -> list[OrgListing]:
        orgs = directory.organizations(region=region, domain=domain_value, level=level_value)
        latest: dict[str, Assessment] = {}
        for a in directory.assessments(year=year, region=region):
            latest[a.org_code] = a  # ordered by year: the last is the latest
        return [OrgListing(o, latest.get(o.code)) for o in orgs]

    return _read(deps, query)


def show_organization(deps: Deps, code: str, policy: Policy) -> OrgRecord:
    """One organization's record, with the pairing units paired with it; ``Refused`` for an unknown code.
    Its memory findings skip evidence an earlier case's proposal already cited, as the case does."""
    from store.pairings import pairings_of

    def query(directory: Directory) -> tuple[Organization, list[Assessment], list[HistoryRecord], list[Pairing]]:
        org = directory.organization(code)
        if org is None:
            raise Refused(f"unknown organization {code}")
        return org, directory.assessments(org_code=code), directory.history(org_code=code), pairings_of(directory.engine, code)

    org, assessments, history, pairings = _read(deps, query)
    by_year = {a.year: a for a in assessments}
    latest = history[-1] if history else None
    findings: list[MemoryFinding] = []
    if latest is not None:
        # evidence already cited by an earlier case's proposal is spent (as the case's rules skip it)
        findings = evaluate_memory(
            code,
            history,
            latest.year,
            Moment.DESIGNATION,
            policy.memory,
            person=org.secretary,
            designated_now=True,
            spent=spent_evidence(history),
        )
    return OrgRecord(org, [(by_year.get(h.year), h) for h in history], latest.year if latest else None, findings, pairings)


def organization_count(deps: Deps) -> int:
    return _read(deps, lambda directory: directory.count())


def assessment_years(deps: Deps) -> list[int]:
    """The years the directory holds assessments for, sorted."""
    return _read(deps, lambda directory: directory.years())


def as_of_date(text: str | None, *, today: date | None = None) -> date | None:
    """A door's ``--as-of`` text as a designation date: None stays None; not a date, or later than
    ``today`` (default: today in Beijing), is ``Refused`` naming the option."""
    if text is None:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise Refused(f"--as-of: {text!r} is not a date (YYYY-MM-DD)") from None
    _not_future(value, today)
    return value


def _not_future(as_of: date, today: date | None) -> None:
    now = today or datetime.now(SHANGHAI).date()
    if as_of > now:
        raise Refused(f"--as-of {as_of.isoformat()}: in the future (today is {now.isoformat()}, Beijing time); give a date up to today")


def designation_preview(
    deps: Deps, year: int, policy: Policy, *, region: str | None = None, as_of: date | None = None, today: date | None = None
) -> DesignationList:
    """Who would be designated weak and lax in ``year`` (and why), from the directory and the policy,
    the category-standard results of the assessed year (store/standards.py) and the inspection findings
    referred to this designation (store/inspections.py, when that module exists). Changes nothing.
    ``Refused`` when the directory is empty, lacks the assessed year, does not know ``region``, or
    ``as_of`` is later than ``today`` (default: today in Beijing)."""
    if as_of is not None:
        _not_future(as_of, today)

    def query(
        directory: Directory,
    ) -> tuple[
        list[Organization], list[Assessment], list[HistoryRecord], dict[str, dict[str, float]], dict[str, list[str]], dict[str, list[str]]
    ]:
        if directory.count() == 0:
            raise Refused("the organization directory is empty: run `pdca org import FILE` first")
        assessed = year - policy.designation.assessment_year_offset
        years = directory.years(assessed=True)  # a year holding only stars a rating wrote is not assessed
        if assessed not in years:
            known = f"{years[0]}–{years[-1]}" if years else "none"
            raise Refused(f"no assessments for {assessed} in the directory (years: {known})")
        if region is not None and region not in directory.regions():
            raise Refused(f"unknown region {region!r}; known: {', '.join(directory.regions())}")
        orgs, found, history = directory.designation_inputs(year)
        standards = standard_results(directory.engine, assessed) if policy.designation.standards else {}
        referred = inspections.referred_to_designation(directory.engine, year) if policy.designation.inspection else {}
        lowered = ratings.downgraded(directory.engine, years=[assessed - 1, assessed]) if policy.designation.star_downgraded else {}
        return orgs, found, history, standards, referred, lowered

    orgs, assessments, history, standards, referred, lowered = _read(deps, query)
    return designate(
        orgs,
        assessments,
        history,
        year,
        policy.designation,
        policy.memory,
        region=region,
        as_of=as_of,
        standards=standards,
        referred=referred,
        downgraded=lowered,
    )
