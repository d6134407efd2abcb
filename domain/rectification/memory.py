"""Memory across years in a case (连续两年、三年内两次…): the cross-year rules (domain.memory) evaluated at
opening and at acceptance, each finding a case-level sanction proposal, once per rule and case; a year
an earlier case's proposal of the same rule already cited (``HistoryRecord.proposed``) does not count
for that rule again."""

from __future__ import annotations

from domain.decider import Command, Context
from domain.directory import AcceptanceResult, HistoryRecord
from domain.memory import MemoryFinding, evaluate_memory, spent_evidence
from domain.policy import EscalationStep, Recipient
from domain.policy.memory import Moment
from domain.rectification.events import Event, ProposalSource, SanctionProposed, Verdict
from domain.rectification.rules import calendar_source, decide_by, recipients
from domain.rectification.state import CaseState


def memory_proposals(state: CaseState, findings: list[MemoryFinding], c: Command, ctx: Context) -> list[Event]:
    """One case-level SanctionProposed per memory finding whose rule has not yet proposed in this case."""
    policy = ctx.policy
    fired = {p.rule for p in state.proposals if p.source == ProposalSource.MEMORY}
    events: list[Event] = []
    for finding in findings:
        if finding.rule.value in fired:
            continue
        fired.add(finding.rule.value)
        step = next((s for s in policy.escalation_ladder if s.rung == finding.rung), None)
        within = step.decide_within if step else EscalationStep.model_fields["decide_within"].default
        due = decide_by(ctx.now, within, policy, ctx.calendar)
        events.append(
            SanctionProposed(
                **ctx.stamp(c),
                policy_version=policy.version,
                proposal_id=f"S{len(state.proposals) + len(events) + 1}",
                measure_id=None,
                rung=finding.rung,
                source=ProposalSource.MEMORY,
                reason=finding.zh,
                rule=finding.rule.value,
                years=finding.years,
                decide_by=due,
                recipients=recipients(state, None, [Recipient.LEADERS, Recipient.SUPERVISORS], policy),
                calendar=calendar_source(ctx.calendar, ctx.now, due),
            )
        )
    return events


def at_opening(state: CaseState, history: list[HistoryRecord], c: Command, ctx: Context) -> list[Event]:
    """Memory rules at designation, over the history the case was opened with (``state``: just opened)."""
    findings = evaluate_memory(
        state.org_code, history, state.year, Moment.DESIGNATION, ctx.policy.memory, person=state.secretary, spent=spent_evidence(history)
    )
    return memory_proposals(state, findings, c, ctx)


def at_acceptance(state: CaseState, verdict: Verdict, c: Command, ctx: Context) -> list[Event]:
    """Memory rules at acceptance: the history plus this case's earlier failed rounds (in the case's
    year) plus the verdict just recorded."""
    if state.history is None:
        return []
    earlier_failed = sum(1 for a in state.acceptances if a.verdict != Verdict.PASSED)
    records = [r for r in state.history if r.year != state.year]
    this_year = next((r for r in state.history if r.year == state.year), None)
    if this_year is not None or earlier_failed:
        record = this_year or HistoryRecord(org_code=state.org_code, year=state.year, person=state.secretary)
        records.append(
            record.model_copy(
                update={"designated": True, "failed_acceptances": max(record.failed_acceptances, earlier_failed)}
            )
        )
    current = AcceptanceResult.PASSED if verdict == Verdict.PASSED else AcceptanceResult.FAILED
    findings = evaluate_memory(
        state.org_code,
        records,
        state.year,
        Moment.ACCEPTANCE,
        ctx.policy.memory,
        current_acceptance=current,
        person=state.secretary,
        spent=spent_evidence(r for r in state.history if r.year != state.year),
    )
    return memory_proposals(state, findings, c, ctx)
