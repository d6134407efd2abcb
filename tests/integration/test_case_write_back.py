"""A case's own outcomes go back into its organization's history, whoever opened it (issue 14): the year
designated, the acceptance and failed rounds, the memory evidence each cited year served, and a
secretary replaced by an executed 组织调整 — written by the case projection in the append's transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from domain.directory import AcceptanceResult, Assessment, Organization
from domain.rectification import EVENT_ADAPTER, DecideSanction, ProposalSource, RecordExecution, SanctionDecision
from store.directory import Directory, ParsedDirectory, YearRecord
from store.eventlog import AuditLog, NewEvent
from store.projections import PROJECTORS, reset_projections
from tests.unit.builders import ORG, REGION, T0, Case, acceptance, classic_policy, county_leader, open_case, supervisor
from tests.unit.test_memory_proposals import SECRETARY, record, to_checking

DAY = timedelta(days=1)
CASE_ID = f"rect-{ORG}-2026"


def directory_with_history(engine: Engine) -> Directory:
    directory = Directory(engine)
    org = Organization(code=ORG, name="青山村党支部", level="党支部", domain="农村", region=REGION, secretary=SECRETARY)
    years = [
        YearRecord(Assessment(org_code=ORG, year=2024), person=SECRETARY, acceptance=AcceptanceResult.FAILED),
        YearRecord(Assessment(org_code=ORG, year=2025), person=SECRETARY, acceptance=AcceptanceResult.FAILED),
    ]
    directory.import_records(ParsedDirectory(organizations=[org], years=years))
    return directory


class Appending:
    """Runs commands on a case and appends each command's events through the projected log."""

    def __init__(self, engine: Engine, case: Case) -> None:
        self.log, self.case, self.version = AuditLog(engine, PROJECTORS), case, 0

    def run(self, command: Any, at: datetime) -> None:
        events = self.case.run(command, at)
        batch = [
            NewEvent(f"{CASE_ID}:{self.version + i}", e.type, e.actor, EVENT_ADAPTER.dump_json(e).decode(), e.policy_version)
            for i, e in enumerate(events, start=1)
        ]
        self.log.append(CASE_ID, self.version, batch, now=at)
        self.version += len(events)


def test_outcomes_evidence_and_a_new_secretary_are_written_back(migrated_engine: Engine) -> None:
    directory = directory_with_history(migrated_engine)
    history = directory.history(org_code=ORG)
    case = Appending(migrated_engine, Case(policy=classic_policy()))
    case.run(open_case().model_copy(update={"history": history, "secretary": SECRETARY}), T0)
    (proposal,) = case.case.state.proposals
    assert proposal.rule == "failed_acceptance" and proposal.years == [2024, 2025]
    by_year = {r.year: r for r in directory.history(org_code=ORG)}
    assert by_year[2026].designated and by_year[2026].person == SECRETARY
    assert by_year[2024].proposed == ["failed_acceptance"] and by_year[2025].proposed == ["failed_acceptance"]

    case.run(DecideSanction(actor=county_leader(), proposal_id="S1", decision=SanctionDecision.APPROVED), T0 + DAY)
    execution = RecordExecution(
        actor=supervisor(), proposal_id="S1", action="免去陈书记职务，选派李新书记", executed_on=date(2026, 1, 14), new_secretary="李新书记"
    )
    case.run(execution, T0 + 10 * DAY)
    org = directory.organization(ORG)
    assert org is not None and org.secretary == "李新书记"
    # the year stays the predecessor's: the new secretary does not answer for it (same_secretary)
    assert {r.year: r for r in directory.history(org_code=ORG)}[2026].person == SECRETARY

    to_checking(case, T0 + 10 * DAY)  # type: ignore[arg-type]
    case.run(acceptance(50), T0 + 60 * DAY)
    this_year = {r.year: r for r in directory.history(org_code=ORG)}[2026]
    assert (this_year.acceptance, this_year.failed_acceptances) == (AcceptanceResult.FAILED, 1)

    # a rebuild writes the same; a directory import after the execution wins over it
    renamed = Organization(code=ORG, name="青山村党支部", level="党支部", domain="农村", region=REGION, secretary="王书记")
    directory.import_records(ParsedDirectory(organizations=[renamed]))
    AuditLog(migrated_engine, PROJECTORS).rebuild_projections(reset_projections)
    org = directory.organization(ORG)
    assert org is not None and org.secretary == "王书记"
    this_year = {r.year: r for r in directory.history(org_code=ORG)}[2026]
    assert (this_year.designated, this_year.acceptance, this_year.person) == (True, AcceptanceResult.FAILED, SECRETARY)


def test_the_next_years_case_under_the_new_secretary_does_not_answer_for_the_predecessor(migrated_engine: Engine) -> None:
    directory = directory_with_history(migrated_engine)
    case = Appending(migrated_engine, Case(policy=classic_policy()))
    case.run(open_case().model_copy(update={"history": directory.history(org_code=ORG), "secretary": SECRETARY}), T0)
    case.run(DecideSanction(actor=county_leader(), proposal_id="S1", decision=SanctionDecision.APPROVED), T0 + DAY)
    execution = RecordExecution(
        actor=supervisor(), proposal_id="S1", action="免去陈书记职务，选派李新书记", executed_on=date(2026, 1, 14), new_secretary="李新书记"
    )
    case.run(execution, T0 + 10 * DAY)
    history = directory.history(org_code=ORG)
    assert {r.year: (r.person, r.designated) for r in history}[2026] == (SECRETARY, True)

    def opened_2027(secretary: str) -> Case:
        next_year = Case(policy=classic_policy())
        command = open_case(year=2027).model_copy(update={"history": history, "secretary": secretary})
        next_year.run(command, T0 + 365 * DAY)
        return next_year

    # under the new secretary: the predecessor's 2026 designation is not theirs (no 连续两年被认定)
    assert [p for p in opened_2027("李新书记").state.proposals if p.source == ProposalSource.MEMORY] == []
    # the same history under the predecessor would have proposed it: 2026 and 2027 designated
    (kept,) = [p for p in opened_2027(SECRETARY).state.proposals if p.source == ProposalSource.MEMORY]
    assert (kept.rule, kept.years) == ("designated_repeatedly", [2026, 2027])


def test_a_campaigns_year_end_writes_only_the_years_no_case_wrote(migrated_engine: Engine) -> None:
    """Every case writes its year back as it goes; the campaign's year end (record_campaign_outcomes)
    counts and writes only what is missing: a case whose events were projected before the write-back
    existed (here: the year's outcome_recorded_at cleared by hand, as on an upgraded database)."""
    from sqlalchemy import update
    from sqlmodel import Session

    from activities.campaign import CampaignActivities, WriteBackRequest
    from store.campaign_models import CampaignCaseRow
    from store.directory_models import AssessmentRow

    directory = directory_with_history(migrated_engine)
    case = Appending(migrated_engine, Case(policy=classic_policy()))
    case.run(open_case().model_copy(update={"history": directory.history(org_code=ORG), "secretary": SECRETARY}), T0)
    with Session(migrated_engine) as session, session.begin():
        session.add(CampaignCaseRow(campaign_id="camp-X-2026", case_id=CASE_ID, org_code=ORG, org_name="青山村党支部",
                                    region=REGION, basis="ranking", round=1, status="started"))
    written = {r.year: r for r in directory.history(org_code=ORG)}[2026]
    activities = CampaignActivities(migrated_engine)
    result = activities.record_campaign_outcomes(WriteBackRequest(campaign_id="camp-X-2026", year=2026))
    assert (result.organizations, result.outcomes) == (1, {"not_accepted": 1})
    assert {r.year: r for r in directory.history(org_code=ORG)}[2026] == written

    with Session(migrated_engine) as session, session.begin():  # as if projected before the write-back
        session.execute(update(AssessmentRow).where(AssessmentRow.year == 2026).values(designated=False, outcome_recorded_at=None))  # type: ignore[arg-type]
    activities.record_campaign_outcomes(WriteBackRequest(campaign_id="camp-X-2026", year=2026))
    this_year = {r.year: r for r in directory.history(org_code=ORG)}[2026]
    assert (this_year.designated, this_year.person) == (True, SECRETARY)


def test_a_case_of_an_organization_outside_the_directory_writes_nothing(migrated_engine: Engine) -> None:
    case = Appending(migrated_engine, Case(policy=classic_policy()))
    case.run(open_case(), datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    assert Directory(migrated_engine).history() == []
    assert record(2025).org_code == ORG
