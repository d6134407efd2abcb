"""Memory across years (历史记录规则): rules over the assessment history that produce findings. Pure.

Each rule counts occurrences inside a window of years ending at the year being decided:

    designated_repeatedly  被认定为软弱涣散党组织    default: 2 times within 2 years  = 连续两年被认定
    failed_acceptance      整顿验收不合格            default: 2 times within 3 years (years or rounds)
    last_place             综合考评排名末位          default: 2 times within 3 years

and is evaluated at two moments:

    designation  (认定时)  over the history; the organization being designated this year counts as
                           designated in ``year`` (whether or not the history has recorded it yet)
    acceptance   (验收时)  over the history plus the acceptance verdict just recorded
                           (``current_acceptance``, which the history does not contain yet)

A finding names the rule, the escalation rung it proposes (a sanction *proposal* a person approves
elsewhere) and the years that made it fire. With ``same_secretary`` (default on) only years under the
current secretary count, so a newly appointed secretary does not answer for a predecessor; years
whose secretary is unknown count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import BaseModel

from domain.directory import AcceptanceResult, HistoryRecord
from domain.policy.memory import LastPlaceRule, MemoryPolicy, MemoryRule, Moment, RuleName
from domain.rungs import Rung

# The rules' settings are a policy section (domain.policy.memory); re-exported for their old path.
__all__ = [
    "LastPlaceRule",
    "MemoryFinding",
    "MemoryPolicy",
    "MemoryRule",
    "Moment",
    "RuleName",
    "evaluate_memory",
    "rule_text",
    "spent_evidence",
]



class MemoryFinding(BaseModel):
    rule: RuleName
    rung: Rung
    zh: str
    en: str
    years: list[int]  # the years that made the rule fire (a year appears once per occurrence)
    person: str | None = None  # the secretary the proposal concerns, when known


def spent_evidence(history: Iterable[HistoryRecord]) -> dict[str, set[int]]:
    """Per rule name, the years of ``history`` already cited by a proposal of that rule (``HistoryRecord.proposed``)."""
    spent: dict[str, set[int]] = {}
    for record in history:
        for rule in record.proposed:
            spent.setdefault(rule, set()).add(record.year)
    return spent


def _window_zh(times: int, within: int) -> str:
    if times == within:
        return {2: "连续两年", 3: "连续三年"}.get(times, f"连续{times}年")
    return f"{_zh_number(within)}年内{'两' if times == 2 else _zh_number(times)}次"


def _window_en(times: int, within: int) -> str:
    if times == within:
        return f"{times} years running"
    return f"{times} times within {within} years"


def _zh_number(n: int) -> str:
    return "一二三四五六七八九十"[n - 1] if 1 <= n <= 10 else str(n)


def rule_text(name: RuleName, rule: MemoryRule) -> tuple[str, str]:
    """The rule as people read it, from its numbers (zh, en)."""
    window_zh, window_en = _window_zh(rule.times, rule.within_years), _window_en(rule.times, rule.within_years)
    if name == RuleName.DESIGNATED_REPEATEDLY:
        return f"{window_zh}被认定为软弱涣散党组织", f"designated weak and lax {window_en}"
    if name == RuleName.FAILED_ACCEPTANCE:
        return f"{window_zh}整顿验收不合格", f"failed acceptance {window_en}"
    share = getattr(rule, "bottom_share", 0.0)
    if share:
        pct = f"{share * 100:g}%"
        return f"{window_zh}综合考评排名后{pct}", f"in the bottom {pct} of the ranking {window_en}"
    return f"{window_zh}综合考评排名末位", f"last place in the ranking {window_en}"


def _is_last(record: HistoryRecord, share: float) -> bool:
    if record.rank is None or record.rank_of is None or record.rank_of <= 0:
        return False
    if share <= 0:
        return record.rank >= record.rank_of
    # inside the bottom share: rank > rank_of * (1 - share), in exact integer arithmetic
    from fractions import Fraction

    return Fraction(record.rank) > Fraction(record.rank_of) * (1 - Fraction(str(share)))


def _failures(record: HistoryRecord) -> int:
    rounds = record.failed_acceptances
    if record.acceptance == AcceptanceResult.FAILED:
        rounds = max(rounds, 1)
    return rounds


def evaluate_memory(
    org_code: str,
    history: Iterable[HistoryRecord],
    year: int,
    moment: Moment | str,
    policy: MemoryPolicy,
    current_acceptance: AcceptanceResult | str | None = None,
    person: str | None = None,
    designated_now: bool = True,
    spent: Mapping[str, Iterable[int]] | None = None,
) -> list[MemoryFinding]:
    """Which cross-year rules fire for ``org_code`` in ``year`` at ``moment``.

    ``history`` may hold other organizations' records (they are ignored) and at most one record per
    year is read (the first for a year wins; the repository yields one). ``person`` is the current
    secretary, for rules with ``same_secretary``. ``designated_now`` (at designation): whether the
    organization is being designated in ``year``; pass False to ask about one that is not.
    ``spent``: per rule name, the years that already served as that rule's evidence in an earlier
    proposal (``spent_evidence``): they do not count for it again (each piece of evidence is proposed once).
    """
    moment = Moment(moment)
    current = AcceptanceResult(current_acceptance) if current_acceptance else None
    by_year: dict[int, HistoryRecord] = {}
    for record in sorted((r for r in history if r.org_code == org_code), key=lambda r: r.year):
        by_year.setdefault(record.year, record)
    findings: list[MemoryFinding] = []
    for name, rule in policy.rules():
        if not rule.enabled or moment not in rule.moments:
            continue
        first = year - rule.within_years + 1

        used = set((spent or {}).get(name.value, ()))

        def counts(record: HistoryRecord, rule: MemoryRule = rule, used: set[int] = used) -> bool:
            if record.year in used:
                return False
            if not rule.same_secretary or person is None or record.person is None:
                return True
            return record.person == person

        window = [by_year[y] for y in range(first, year + 1) if y in by_year and counts(by_year[y])]
        years: list[int] = []
        if name == RuleName.DESIGNATED_REPEATEDLY:
            years = [r.year for r in window if r.designated]
            if designated_now and year not in years:
                # at designation: the designation being decided; at acceptance: the case under
                # acceptance was designated this year
                years.append(year)
        elif name == RuleName.FAILED_ACCEPTANCE:
            for record in window:
                years.extend([record.year] * _failures(record))
            if moment == Moment.ACCEPTANCE and current == AcceptanceResult.FAILED:
                years.append(year)
        else:
            share = getattr(rule, "bottom_share", 0.0)
            years = [r.year for r in window if _is_last(r, share)]
        years.sort()
        if len(years) >= rule.times:
            zh, en = rule_text(name, rule)
            findings.append(MemoryFinding(rule=name, rung=rule.rung, zh=zh, en=en, years=years, person=person))
    return findings
