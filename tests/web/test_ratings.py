"""The console's star rating pages (评星定级, read only): the list and a rating, by scope, as a case is seen.

Ratings are seeded as the case is (tests/web/conftest.py): the rating decider's events appended through the
audit log, whose projection writes the rating ledger the list reads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain import rating as r
from domain.actors import Actor, Role
from domain.decider import Context, Tick
from domain.directory import OrgDomain
from domain.errors import DomainError
from domain.policy import Policy
from domain.workcal import WorkCalendar
from service.commands import Done
from service.errors import Refused
from tests.unit import builders
from tests.web.conftest import Console, _append, csrf_of

YEAR = 2026
MINE = f"star-{builders.ORG}-{YEAR}"  # 青山镇: bs-1's village, ts-1's township
OTHER = f"star-V009-{YEAR}"  # 柳林乡: bs-9's village only (and the county's)
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
SUP = Actor(id="sup-1", roles=[Role.SUPERVISOR])
TOWN = Actor(id="ts-1", roles=[Role.TOWNSHIP_SECRETARY], scope=[builders.REGION])
BRANCH = Actor(id="bs-1", roles=[Role.BRANCH_SECRETARY], scope=[builders.ORG])
BRANCH_9 = Actor(id="bs-9", roles=[Role.BRANCH_SECRETARY], scope=["V009"])
FULL = {"political": 20, "team": 20, "members": 20, "rules": 20, "service": 20}


class Rating:
    """A rating under test: decide + evolve, every event kept to be appended."""

    def __init__(self) -> None:
        self.state = r.INITIAL_STATE
        self.events: list[Any] = []
        self.now = NOW

    def do(self, command: Any, days: float = 0) -> None:
        self.now += timedelta(days=days)
        for event in r.decide(self.state, command, Context(now=self.now, policy=Policy(), calendar=WorkCalendar())):
            self.state = r.evolve(self.state, event)
            self.events.append(event)


def scores(**points: float) -> list[r.ItemScoreInput]:
    return [r.ItemScoreInput(code=c, points=p, evidence=[f"{c}-台账.pdf"]) for c, p in {**FULL, **points}.items()]


def rated_village() -> Rating:
    """青山镇东村: 95 points self-assessed, the township takes 4 off 班子队伍强 (5★ needs it in full),
    the county approves 4★, an objection is dismissed, 公示 ends: 4★ decided."""
    run = Rating()
    run.do(
        r.OpenRating(
            actor=SUP, org_code=builders.ORG, year=YEAR, org_name="青山镇东村党支部", region=builders.REGION,
            domain=OrgDomain.VILLAGE, previous_level=3,
        )
    )  # fmt: skip
    run.do(r.SubmitSelfAssessment(actor=BRANCH, scores=scores(service=15), note="对照标准逐项自评"), days=1)
    run.do(r.ReviewRating(actor=TOWN, scores=[r.ItemScoreInput(code="team", points=16, note="班子缺员一人")], comment="班子建设扣 4 分"), 1)
    run.do(r.ApproveRating(actor=SUP), days=1)
    run.do(r.RecordObjection(actor=SUP, text="群众反映评分偏高", source="来信"), days=1)
    run.do(r.ResolveObjection(actor=SUP, objection_id="O1", upheld=False, note="经核实不成立"), days=1)
    run.do(Tick(), days=10)
    assert run.state.level == 4, run.state
    return run


def other_village() -> Rating:
    """柳林乡 V009: self-assessed with a veto item that occurred, waiting for its township."""
    run = Rating()
    run.do(r.OpenRating(actor=SUP, org_code="V009", year=YEAR, org_name="柳林乡西村党支部", region="柳林乡", previous_level=2))
    run.do(r.SubmitSelfAssessment(actor=BRANCH_9, scores=scores(), vetoes=["incident"]), days=1)
    return run


@pytest.fixture
def ratings(console: Console) -> Console:
    _append(console.engine, MINE, rated_village().events)
    _append(console.engine, OTHER, other_village().events)
    return console


async def test_the_list_needs_a_session_and_shows_only_the_ratings_in_scope(ratings: Console) -> None:
    async with ratings.client() as http:
        page = await http.get("/ratings")
        assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Fratings"
    for person, visible in (("bs-1", {MINE}), ("ts-1", {MINE}), ("bs-9", {OTHER}), ("sup-1", {MINE, OTHER})):
        http = await ratings.signed_in(person)
        async with http:
            page = await http.get("/ratings")
            assert page.status_code == 200, (person, page.text[:500])
            assert {MINE, OTHER} & set(_listed(page.text)) == visible, person
            assert 'id="ratings-link"' in page.text and 'aria-current="page"' in page.text
    http = await ratings.signed_in("bs-1")
    async with http:
        page = await http.get("/ratings")
        row = page.text.split(f'data-rating="{MINE}"')[1].split("</tr>")[0]
        assert "青山镇东村党支部" in row and "已定级" in row and "★★★★☆" in row
        assert "5★" in row and "4★" in row and "3★" in row  # self-assessed, reviewed and approved, last year
        assert (await http.get("/ratings?year=2025")).text.count("data-rating=") == 0
        assert _listed((await http.get(f"/ratings?year={YEAR}&stage=rated")).text) == [MINE]
        assert _listed((await http.get("/ratings?stage=township_review")).text) == []
        english = await http.get("/ratings?lang=en")
        assert "Star ratings" in english.text and ">rated<" in english.text
    http = await ratings.signed_in("sup-1")
    async with http:
        row = (await http.get("/ratings")).text.split(f'data-rating="{OTHER}"')[1].split("</tr>")[0]
        assert "乡镇审核" in row and "发生重大群体性事件或安全事故" in row  # the stage and the veto item, named


def _listed(html: str) -> list[str]:
    return re.findall(r'<tr data-rating="([^"]+)"', html)


async def test_a_rating_page_shows_the_scores_the_level_and_what_the_gates_grant(ratings: Console) -> None:
    http = await ratings.signed_in("bs-1")
    async with http:
        page = await http.get(f"/ratings/{MINE}")
        assert page.status_code == 200, page.text[:500]
        text = page.text
        assert "青山镇东村党支部" in text and 'aria-current="step">已定级' in text
        level_now = text.split('id="level-now"')[1].split("</dd>")[0]
        assert "★★★★☆" in level_now and "4星" in level_now
        team = text.split('data-item="team"')[1].split("</tr>")[0]
        assert "班子队伍强" in team and "<td>20</td>" in team and "16" in team and "team-台账.pdf" in team and "班子缺员一人" in team
        gates = text.split('id="gates"')[1].split("</section>")[0]
        assert "进关可评" in gates and "<strong>4星</strong>" in gates
        assert 'data-level="5"' in gates and "班子队伍强 未满分" in gates and "not in full" not in gates
        assert "群众反映评分偏高" in text and "异议不成立" in text and "经核实不成立" in text
        assert "班子建设扣 4 分" in text  # the township's comment
        assert 'data-type="RatingDecided"' in text and "公示期满定级" in text
        english = await http.get(f"/ratings/{MINE}?lang=en")
        assert "strong leadership team not in full" in english.text and "未满分" not in english.text
        assert "the gates grant" in english.text


async def test_a_veto_item_is_shown_with_the_level_it_caps(ratings: Console) -> None:
    http = await ratings.signed_in("bs-9")
    async with http:
        page = await http.get(f"/ratings/{OTHER}")
        assert page.status_code == 200
        gates = page.text.split('id="gates"')[1].split("</section>")[0]
        assert "<strong>1星</strong>" in gates and "一票否决：发生重大群体性事件或安全事故" in gates
        english = (await http.get(f"/ratings/{OTHER}?lang=en")).text.split('id="gates"')[1].split("</section>")[0]
        assert "grant <strong>1 star</strong>" in english and "a major mass incident or accident" in english


async def test_a_rating_out_of_scope_is_refused_as_a_case_is(ratings: Console) -> None:
    village = await ratings.signed_in("bs-1")
    township = await ratings.signed_in("ts-1")
    other = await ratings.signed_in("bs-9")
    async with village, township, other:
        for http in (village, township):
            hidden = await http.get(f"/ratings/{OTHER}")
            assert hidden.status_code == 404 and "unknown rating" in hidden.text and "柳林乡西村" not in hidden.text
        assert (await village.get(f"/ratings/star-{builders.ORG}-2025")).status_code == 404  # no such rating
        assert (await village.get("/ratings/rect-V001-2026")).status_code == 404  # not a rating id
        assert (await other.get(f"/ratings/{OTHER}")).status_code == 200  # its own village's rating
        assert (await other.get(f"/ratings/{MINE}")).status_code == 404
        assert (await other.get("/cases/rect-V001-2026")).status_code == 404  # … as a case of another village is


# ----------------------------------------------------------------------------- acting on a rating from the console
#
# As the case forms' tests do (tests/web/conftest.py), no Temporal here: the rating's commands are taken by a
# stand-in for its workflow that applies the real rules (domain.rating.decide) to the rating as the audit log
# folds it, and appends what they decide through the real audit log (the ledger /ratings and 我的待办 read is
# its projection); a refusal comes back as the workflow's does (Refused with the rule's code). The end-to-end
# path through a real worker: tests/e2e/test_rating_cli.py (CLI) and tests/browser/test_rating_console.py.

NEXT_YEAR = YEAR + 1
OPEN = f"star-{builders.ORG}-{NEXT_YEAR}"  # 青山镇东村's next rating: opened, waiting for its self-assessment


@dataclass
class Taken:
    stream_id: str
    command: Any
    caller: str


def _state(console: Console, stream_id: str) -> r.RatingState:
    from store import queries

    state: r.RatingState = queries.fold_stream(queries.read_stream(console.engine, stream_id), r.DECIDER)
    return state


@pytest.fixture
def acting(ratings: Console, monkeypatch: pytest.MonkeyPatch) -> tuple[Console, list[Taken]]:
    """The ratings above, one more opened for bs-1's village, and the rating workflow's stand-in."""
    opened = Rating()
    opened.do(
        r.OpenRating(
            actor=SUP, org_code=builders.ORG, year=NEXT_YEAR, org_name="青山镇东村党支部", region=builders.REGION,
            domain=OrgDomain.VILLAGE, previous_level=4,
        )
    )  # fmt: skip
    _append(ratings.engine, OPEN, opened.events)
    taken: list[Taken] = []

    async def workflow(deps: Any, stream_id: str, cmd: Any, request_id: str | None = None, signature: Any = None) -> Done:
        assert cmd.actor.id == deps.caller.id  # the command names the person whose credential sends it
        state = _state(ratings, stream_id)
        try:
            events = r.decide(state, cmd, Context(now=datetime.now(UTC), policy=Policy(), calendar=WorkCalendar()))
        except DomainError as refused:
            raise Refused(refused.message, code=refused.code) from None
        _append(ratings.engine, stream_id, events)
        taken.append(Taken(stream_id, cmd, deps.caller.id))
        after = _state(ratings, stream_id)
        return Done(stream_id=stream_id, version=after.version, stage=after.stage.value, events=[e.type for e in events])

    monkeypatch.setattr("service.ratings.send", workflow)
    return ratings, taken


def _assessment(csrf: str, **points: str) -> dict[str, Any]:
    form: dict[str, Any] = {"csrf": csrf, "note": "对照标准逐项自评"}
    for code, value in {**{c: str(p) for c, p in FULL.items()}, **points}.items():
        form[f"points-{code}"] = value
        form[f"evidence-{code}"] = f"{code}台账.pdf"
    return form


async def test_a_village_secretary_sends_the_self_assessment_from_the_rating_page(acting: tuple[Console, list[Taken]]) -> None:
    console, taken = acting
    http = await console.signed_in("bs-1")
    async with http:
        page = await http.get(f"/ratings/{OPEN}")
        assert page.status_code == 200 and 'id="assess-form"' in page.text
        assert 'id="review-form"' not in page.text and 'id="return-form"' not in page.text
        form = page.text.split('id="assess-form"')[1].split("</form>")[0]
        assert f'action="/ratings/{OPEN}/do/assess"' in page.text and f'name="csrf" value="{csrf_of(page.text)}"' in form
        political = form.split('data-item="political"')[1].split("</fieldset>")[0]
        assert "政治功能强（满分 20 分）" in political and 'name="points-political" type="number"' in political and 'max="20"' in political
        assert 'name="evidence-political"' in political
        assert form.count('type="number"') == 5 and form.count('name="vetoes"') == 3  # the standard's point and veto items
        assert "发生重大群体性事件或安全事故" in form and "提交自评" in form

        sent = _assessment(csrf_of(page.text), service="17")
        sent["evidence-rules"] = "三会一课台账.pdf，档案 2027-03\nhttps://example.org/x"  # comma (full-width) and new line
        sent["vetoes"] = ["incident"]
        answer = await http.post(f"/ratings/{OPEN}/do/assess", data=sent)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == f"/ratings/{OPEN}?ok=sent"

        assert taken[-1].caller == "bs-1" and taken[-1].command.type == "SubmitSelfAssessment"
        state = _state(console, OPEN)
        assert state.stage == r.Stage.TOWNSHIP_REVIEW and state.self_assessment is not None
        assert state.self_assessment.by == "bs-1" and state.self_assessment.total == 97 and state.self_assessment.vetoes == ["incident"]
        rules = next(s for s in state.self_assessment.scores if s.code == "rules")
        assert rules.evidence == ["三会一课台账.pdf", "档案 2027-03", "https://example.org/x"]

        after = await http.get(answer.headers["location"])
        assert 'id="flash"' in after.text and 'aria-current="step">乡镇审核' in after.text
        assert 'id="assess-form"' not in after.text  # sent: nothing more to assess
        assert "档案 2027-03" in after.text.split('data-item="rules"')[1].split("</tr>")[0]


async def test_a_refused_score_comes_back_with_the_rules_message_and_what_was_typed(acting: tuple[Console, list[Taken]]) -> None:
    console, taken = acting
    http = await console.signed_in("bs-1")
    async with http:
        page = await http.get(f"/ratings/{OPEN}")
        typed = _assessment(csrf_of(page.text), political="25")
        typed["evidence-team"] = "支委会记录2027.pdf"
        typed["note"] = "本年度自评，班子调整后"
        typed["vetoes"] = ["discipline"]
        answer = await http.post(f"/ratings/{OPEN}/do/assess", data=typed)
        assert answer.status_code == 400
        error = answer.text.split('id="error"')[1].split("</p>")[0]
        assert "输入有误：政治功能强 · 得分：25 分超过满分 20 分" in error  # the rule's refusal, the field as the form labels it
        form = answer.text.split('id="assess-form"')[1].split("</form>")[0]
        assert 'name="points-political" type="number"' in form and 'value="25"' in form.split('data-item="political"')[1]
        assert "支委会记录2027.pdf" in form and "本年度自评，班子调整后" in form
        assert 'value="discipline" checked' in form
        assert _state(console, OPEN).stage == r.Stage.SELF_ASSESSMENT and taken == []

        english = await http.post(f"/ratings/{OPEN}/do/assess?lang=en", data=typed)
        assert "invalid input: strong political function · points: 25 is more than 政治功能强 allows (20)" in english.text

        not_a_number = await http.post(f"/ratings/{OPEN}/do/assess?lang=zh", data={**typed, "points-political": "十八"})
        assert not_a_number.status_code == 400 and "政治功能强 · 得分：须为数字，不是“十八”" in not_a_number.text
        missing = await http.post(f"/ratings/{OPEN}/do/assess", data={**typed, "points-political": "", "points-team": ""})
        assert missing.status_code == 400 and "每个计分项目都要打分，未填：政治功能强、班子队伍强" in missing.text
        negative = await http.post(f"/ratings/{OPEN}/do/assess", data={**typed, "points-political": "-1"})
        assert negative.status_code == 400 and "政治功能强 · 得分：不能小于 0" in negative.text
        assert taken == []


async def test_a_person_out_of_scope_gets_no_form_and_a_post_is_refused(acting: tuple[Console, list[Taken]]) -> None:
    console, taken = acting
    other = await console.signed_in("bs-9")
    town = await console.signed_in("ts-1")
    county = await console.signed_in("sup-1")
    village = await console.signed_in("bs-1")
    async with other, town, county, village:
        csrf = csrf_of((await other.get("/ratings")).text)
        hidden = await other.get(f"/ratings/{OPEN}")
        assert hidden.status_code == 404 and "assess-form" not in hidden.text
        refused = await other.post(f"/ratings/{OPEN}/do/assess", data=_assessment(csrf))
        assert refused.status_code == 404 and "青山镇东村" not in refused.text

        for http in (town, county):  # in scope, but not the organization: no form, and the rule refuses a post
            page = await http.get(f"/ratings/{OPEN}")
            assert page.status_code == 200 and 'id="assess-form"' not in page.text and 'id="review-form"' not in page.text
            answer = await http.post(f"/ratings/{OPEN}/do/assess", data=_assessment(csrf_of(page.text)))
            assert answer.status_code == 403 and "无权操作" in answer.text and "SubmitSelfAssessment" in answer.text

        page = await village.get(f"/ratings/{OPEN}")
        stale = await village.post(f"/ratings/{OPEN}/do/assess", data={**_assessment(csrf_of(page.text)), "csrf": "stale"})
        assert stale.status_code == 403
        foreign = await village.post(
            f"/ratings/{OPEN}/do/assess", data=_assessment(csrf_of(page.text)), headers={"Origin": "https://evil.example"}
        )
        assert foreign.status_code == 403
        unknown = await village.post(f"/ratings/{OPEN}/do/approve", data=_assessment(csrf_of(page.text)))
        assert unknown.status_code == 400  # approval is signed, in the CLI: no such form
        assert taken == [] and _state(console, OPEN).stage == r.Stage.SELF_ASSESSMENT
        decided = await village.get(f"/ratings/{MINE}")  # rated: nothing to send
        assert not re.search(r'id="(assess|review|return)-form"', decided.text)


async def test_the_township_returns_and_reviews_and_the_county_may_only_return(acting: tuple[Console, list[Taken]]) -> None:
    console, taken = acting
    village = await console.signed_in("bs-1")
    town = await console.signed_in("ts-1")
    county = await console.signed_in("sup-1")
    async with village, town, county:
        page = await village.get(f"/ratings/{OPEN}")
        sent = await village.post(f"/ratings/{OPEN}/do/assess", data=_assessment(csrf_of(page.text), team="19"))
        assert sent.status_code == 303

        page = await town.get(f"/ratings/{OPEN}")
        assert 'id="review-form"' in page.text and 'id="return-form"' in page.text and 'id="assess-form"' not in page.text
        review = page.text.split('id="review-form"')[1].split("</form>")[0]
        team = review.split('data-item="team"')[1].split("</fieldset>")[0]
        assert "班子队伍强（满分 20 分，自评 19 分）" in team and 'value=""' in team and "不调整" in team  # corrections start empty
        assert "退回修改" in page.text and "pdca rating approve" not in page.text
        csrf = csrf_of(page.text)

        no_comment = await town.post(f"/ratings/{OPEN}/do/return", data={"csrf": csrf, "comment": ""})
        assert no_comment.status_code == 400 and "意见：必填" in no_comment.text
        returned = await town.post(f"/ratings/{OPEN}/do/return", data={"csrf": csrf, "comment": "佐证材料不全，请补充"})
        assert returned.status_code == 303 and returned.headers["location"] == f"/ratings/{OPEN}?ok=sent"
        assert taken[-1].caller == "ts-1" and _state(console, OPEN).stage == r.Stage.SELF_ASSESSMENT

        # back with the organization: its last self-assessment filled in, with the township's comment
        page = await village.get(f"/ratings/{OPEN}")
        form = page.text.split('id="assess-form"')[1].split("</form>")[0]
        assert "佐证材料不全，请补充" in page.text.split('id="self-assessment"')[1]
        assert 'value="19"' in form.split('data-item="team"')[1].split("</fieldset>")[0] and "team台账.pdf" in form
        again = await village.post(f"/ratings/{OPEN}/do/assess", data=_assessment(csrf_of(page.text), team="19"))
        assert again.status_code == 303

        page = await town.get(f"/ratings/{OPEN}")
        csrf = csrf_of(page.text)
        no_comment = await town.post(f"/ratings/{OPEN}/do/review", data={"csrf": csrf, "points-team": "16", "note-team": "班子缺员一人"})
        assert no_comment.status_code == 400 and "意见：必填" in no_comment.text
        assert (
            'value="16"' in no_comment.text.split('id="review-form"')[1] and "班子缺员一人" in no_comment.text.split('id="review-form"')[1]
        )
        over = await town.post(f"/ratings/{OPEN}/do/review", data={"csrf": csrf, "points-rules": "21", "comment": "x"})
        assert over.status_code == 400 and "制度落实好（三会一课等） · 得分：21 分超过满分 20 分" in over.text
        reviewed = await town.post(
            f"/ratings/{OPEN}/do/review",
            data={
                "csrf": csrf,
                "points-team": "16",
                "note-team": "班子缺员一人",
                "vetoes": "discipline",
                "comment": "班子建设扣 3 分，同意上报",
            },
        )
        assert reviewed.status_code == 303, reviewed.text
        state = _state(console, OPEN)
        assert state.stage == r.Stage.COUNTY_REVIEW and state.review is not None and state.review.by == "ts-1"
        team_score = next(s for s in state.review.scores if s.code == "team")
        assert team_score.points == 16 and team_score.note == "班子缺员一人"
        assert [s.points for s in state.review.scores if s.code == "political"] == [20]  # not corrected: the organization's
        assert state.review.vetoes == ["discipline"] and state.review_level == 1  # a veto item caps the level

        page = await town.get(f"/ratings/{OPEN}")
        assert not re.search(r'id="(assess|review|return)-form"', page.text)  # with the county now
        page = await county.get(f"/ratings/{OPEN}")
        assert 'id="return-form"' in page.text and 'id="review-form"' not in page.text
        hint = page.text.split('id="approve-in-cli"')[1].split("</p>")[0]
        assert "审定需本人签名，请用 <code>pdca rating approve</code>" in hint
        assert "退回乡镇复核" in page.text
        back_to_town = await county.post(f"/ratings/{OPEN}/do/return", data={"csrf": csrf_of(page.text), "comment": "否决事项请核实"})
        assert back_to_town.status_code == 303 and taken[-1].caller == "sup-1"
        assert _state(console, OPEN).stage == r.Stage.TOWNSHIP_REVIEW
        assert 'id="review-form"' in (await town.get(f"/ratings/{OPEN}")).text


async def test_my_tasks_lists_a_rating_for_the_people_who_act_on_it_now(acting: tuple[Console, list[Taken]]) -> None:
    console, _taken = acting

    async def waiting(person: str) -> dict[str, str]:
        http = await console.signed_in(person)
        async with http:
            page = await http.get("/tasks")
            assert page.status_code == 200
            found = re.findall(
                r'data-kind="([^"]+)" data-rating="([^"]+)">\s*<a href="([^"]+)"><span class="tag">([^<]+)</span>', page.text
            )
            return {rating: f"{kind} {link} {tag}" for kind, rating, link, tag in found}

    assert await waiting("bs-1") == {OPEN: f"SubmitSelfAssessment /ratings/{OPEN}#self-assessment 评星自评"}
    assert await waiting("fs-1") == {OPEN: f"SubmitSelfAssessment /ratings/{OPEN}#self-assessment 评星自评"}
    for person in ("ts-1", "sup-1", "bs-9"):  # not the organization (bs-9: another village; OTHER waits for 柳林乡)
        assert await waiting(person) == {}, person

    http = await console.signed_in("bs-1")
    async with http:
        page = await http.get(f"/ratings/{OPEN}")
        assert (await http.post(f"/ratings/{OPEN}/do/assess", data=_assessment(csrf_of(page.text)))).status_code == 303
    assert await waiting("ts-1") == {OPEN: f"ReviewRating /ratings/{OPEN}#review 评星审核"}
    for person in ("bs-1", "fs-1", "sup-1", "bs-9"):
        assert await waiting(person) == {}, person
    http = await console.signed_in("ts-1")
    async with http:
        page = await http.get("/tasks?lang=en")
        assert "star rating: review" in page.text and "青山镇东村党支部" in page.text


async def test_every_rating_form_carries_the_sessions_token(acting: tuple[Console, list[Taken]]) -> None:
    console, _taken = acting
    http = await console.signed_in("bs-1")
    async with http:
        page = await http.get(f"/ratings/{OPEN}")
        assert (await http.post(f"/ratings/{OPEN}/do/assess", data=_assessment(csrf_of(page.text)))).status_code == 303
    seen = 0
    for person in ("ts-1", "ts-1?lang=en"):
        http = await console.signed_in(person.split("?")[0])
        async with http:
            page = await http.get(f"/ratings/{OPEN}" + ("?lang=en" if "?" in person else ""))
            for form in re.findall(r'<form[^>]*method="post".*?</form>', page.text, flags=re.S):
                seen += 1
                assert f'name="csrf" value="{csrf_of(page.text)}"' in form, form[:200]
    assert seen >= 6  # review, return and sign-out, twice


# ----------------------------------------------------------------------------- evidence files per item


def _png(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), color).save(out, "PNG")
    return out.getvalue()


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _score(scores: list[Any], code: str) -> Any:
    return next(s for s in scores if s.code == code)


async def test_a_photo_sent_with_the_self_assessment_is_stored_and_carried_on_its_item(acting: tuple[Console, list[Taken]]) -> None:
    import json

    from domain.evidence import EvidenceFile
    from store import queries

    console, taken = acting
    photo = _png()
    sha256 = _sha(photo)
    http = await console.signed_in("bs-1")
    async with http:
        page = await http.get(f"/ratings/{OPEN}")
        form = page.text.split('id="assess-form"')[1].split("</form>")[0]
        assert 'enctype="multipart/form-data"' in page.text.split('id="assess-form"')[1].split(">")[0]
        rules = form.split('data-item="rules"')[1].split("</fieldset>")[0]
        assert 'type="file" name="files-rules"' in rules and "multiple" in rules and 'accept="image/*,.pdf,' in rules
        assert form.count('type="file"') == 5  # one per point item
        answer = await http.post(
            f"/ratings/{OPEN}/do/assess",
            data=_assessment(csrf_of(page.text)),
            files=[("files-rules", ("三会一课.png", photo, "image/png"))],
        )
        assert answer.status_code == 303, answer.text
    expected = EvidenceFile(sha256=sha256, name="三会一课.png", type="image/png", size=len(photo))
    sent = taken[-1].command
    assert _score(sent.scores, "rules").files == [expected] and _score(sent.scores, "team").files == []
    assert any(p.name == sha256 for p in (console.home / "evidence").rglob("*"))  # stored before it was sent
    row = next(r for r in queries.read_stream(console.engine, OPEN) if r.event_type == "SelfAssessmentSubmitted")
    recorded = next(s for s in json.loads(row.payload)["assessment"]["scores"] if s["code"] == "rules")
    assert recorded["files"] == [expected.model_dump(mode="json")]  # the audit event carries the file's hash

    # the rating page shows it on its item: a thumbnail linking to the file
    village, town, county, other = [await console.signed_in(p) for p in ("bs-1", "ts-1", "sup-1", "bs-9")]
    async with village, town, county, other:
        page = await village.get(f"/ratings/{OPEN}")
        row_html = page.text.split('<tr data-item="rules"')[1].split("</tr>")[0]
        assert f'data-sha256="{sha256}"' in row_html and f'href="/evidence/{OPEN}/{sha256}"' in row_html
        assert f'src="/evidence/{OPEN}/{sha256}/thumb"' in row_html and "三会一课.png" in row_html
        for http in (village, town, county):  # the organization, its township, the county
            got = await http.get(f"/evidence/{OPEN}/{sha256}")
            assert got.status_code == 200 and got.content == photo and got.headers["content-type"] == "image/png"
            thumb = await http.get(f"/evidence/{OPEN}/{sha256}/thumb")
            assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
        for path in (f"/evidence/{OPEN}/{sha256}", f"/evidence/{OPEN}/{sha256}/thumb"):
            hidden = await other.get(path)  # another village: as if the rating did not exist
            assert hidden.status_code == 404 and "三会一课" not in hidden.text
        # a file in the store that the rating does not name, another rating's hash, a hash that is no file
        from service import evidence

        elsewhere = evidence.accept(console.settings, "别的.png", "image/png", _png((1, 2, 3)))
        assert (await village.get(f"/evidence/{OPEN}/{elsewhere.sha256}")).status_code == 404
        assert (await village.get(f"/evidence/{OPEN}/{elsewhere.sha256}/thumb")).status_code == 404
        assert (await village.get(f"/evidence/{MINE}/{sha256}")).status_code == 404
        assert (await village.get(f"/evidence/{OPEN}/{'0' * 64}")).status_code == 404
        assert (await village.get(f"/evidence/star-{builders.ORG}-2030/{sha256}")).status_code == 404


async def test_a_refused_self_assessment_keeps_its_files_and_the_next_attempt_sends_them(acting: tuple[Console, list[Taken]]) -> None:
    console, taken = acting
    photo = _png((20, 90, 160))
    sha256 = _sha(photo)
    http = await console.signed_in("bs-1")
    async with http:
        page = await http.get(f"/ratings/{OPEN}")
        refused = await http.post(
            f"/ratings/{OPEN}/do/assess",
            data=_assessment(csrf_of(page.text), political="25"),
            files=[("files-team", ("支委会.png", photo, "image/png"))],
        )
        assert refused.status_code == 400 and "政治功能强 · 得分：25 分超过满分 20 分" in refused.text
        assert taken == [] and any(p.name == sha256 for p in (console.home / "evidence").rglob("*"))
        form = refused.text.split('id="assess-form"')[1].split("</form>")[0]
        team = form.split('data-item="team"')[1].split("</fieldset>")[0]
        assert f'name="kept-team" value="{sha256}:支委会.png" checked' in team and "支委会.png" in team
        assert 'name="kept-political"' not in form

        kept = re.findall(r'name="(kept-[a-z]+)" value="([^"]+)" checked', form)
        again = {**_assessment(csrf_of(refused.text)), **{name: value for name, value in kept}}
        answer = await http.post(f"/ratings/{OPEN}/do/assess", data=again)
        assert answer.status_code == 303, answer.text
    team_files = _score(taken[-1].command.scores, "team").files
    assert [(f.sha256, f.name, f.type, f.size) for f in team_files] == [(sha256, "支委会.png", "image/png", len(photo))]
    assert _score(_state(console, OPEN).self_assessment.scores, "team").files == team_files  # type: ignore[union-attr]


async def test_a_file_that_is_not_what_it_says_is_refused_as_for_a_case(acting: tuple[Console, list[Taken]]) -> None:
    console, taken = acting
    photo = _png((10, 120, 10))
    http = await console.signed_in("bs-1")
    async with http:
        page = await http.get(f"/ratings/{OPEN}")
        answer = await http.post(
            f"/ratings/{OPEN}/do/assess",
            data=_assessment(csrf_of(page.text)),
            files=[
                ("files-team", ("照片.png", photo, "image/png")),
                ("files-rules", ("台账.jpg", b"MZ\x90\x00 not a photo", "image/jpeg")),
                ("files-service", ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00", "application/octet-stream")),
            ],
        )
        assert answer.status_code == 400 and taken == []
        error = answer.text.split('id="error"')[1].split("</p>")[0]
        assert "制度落实好（三会一课等） · 佐证文件：" in error and "台账.jpg" in error  # the item named as the form labels it
        form = answer.text.split('id="assess-form"')[1].split("</form>")[0]
        assert f'name="kept-team" value="{_sha(photo)}:照片.png" checked' in form  # the good one is kept
        assert 'name="kept-rules"' not in form and 'name="kept-service"' not in form
        assert "team台账.pdf" in form  # what was typed comes back
        stored = {p.name for p in (console.home / "evidence").rglob("*")}
        assert _sha(b"MZ\x90\x00 not a photo") not in stored and _sha(b"MZ\x90\x00\x03\x00\x00\x00") not in stored


async def test_a_returned_assessment_offers_its_files_again_and_the_township_adds_its_own(acting: tuple[Console, list[Taken]]) -> None:
    console, taken = acting
    own, town_photo, town_pdf = _png((1, 1, 200)), _png((200, 200, 1)), b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    village = await console.signed_in("bs-1")
    town = await console.signed_in("ts-1")
    async with village, town:
        page = await village.get(f"/ratings/{OPEN}")
        sent = await village.post(
            f"/ratings/{OPEN}/do/assess",
            data=_assessment(csrf_of(page.text), team="19"),
            files=[("files-rules", ("三会一课.png", own, "image/png"))],
        )
        assert sent.status_code == 303, sent.text
        page = await town.get(f"/ratings/{OPEN}")
        returned = await town.post(f"/ratings/{OPEN}/do/return", data={"csrf": csrf_of(page.text), "comment": "请补充会议照片"})
        assert returned.status_code == 303

        # back with the organization: the file it sent is offered again (ticked), and sent again with the revision
        page = await village.get(f"/ratings/{OPEN}")
        form = page.text.split('id="assess-form"')[1].split("</form>")[0]
        assert f'name="kept-rules" value="{_sha(own)}:三会一课.png" checked' in form
        kept = dict(re.findall(r'name="(kept-[a-z]+)" value="([^"]+)" checked', form))
        again = await village.post(f"/ratings/{OPEN}/do/assess", data={**_assessment(csrf_of(page.text), team="19"), **kept})
        assert again.status_code == 303
        assert [f.sha256 for f in _score(taken[-1].command.scores, "rules").files] == [_sha(own)]

        # the township: a file on an item it leaves (the organization's points kept, the file added), and a
        # correction with its own file
        page = await town.get(f"/ratings/{OPEN}")
        review = page.text.split('id="review-form"')[1].split("</form>")[0]
        assert 'type="file" name="files-rules"' in review and 'name="kept-rules"' not in review  # the township's own uploads only
        answer = await town.post(
            f"/ratings/{OPEN}/do/review",
            data={"csrf": csrf_of(page.text), "points-team": "16", "note-team": "班子缺员一人", "comment": "核实后上报"},
            files=[
                ("files-rules", ("现场核查.png", town_photo, "image/png")),
                ("files-team", ("核查记录.pdf", town_pdf, "application/pdf")),
            ],
        )
        assert answer.status_code == 303, answer.text
        state = _state(console, OPEN)
        assert state.review is not None and state.review.total == 96  # team 16, the rest in full
        rules = _score(state.review.scores, "rules")
        assert rules.points == 20 and rules.evidence == ["rules台账.pdf"]  # the organization's score for it, kept
        assert [f.name for f in rules.files] == ["三会一课.png", "现场核查.png"]  # … with the township's file added
        team = _score(state.review.scores, "team")
        assert team.points == 16 and team.note == "班子缺员一人" and [f.name for f in team.files] == ["核查记录.pdf"]
        assert _score(state.review.scores, "political").files == []

        page = await village.get(f"/ratings/{OPEN}")
        row = page.text.split('<tr data-item="rules"')[1].split("</tr>")[0]
        assert row.count("<figure") == 2 and "乡镇 · 现场核查.png" in row
        team_row = page.text.split('<tr data-item="team"')[1].split("</tr>")[0]
        assert 'class="doc">PDF<' in team_row and f'href="/evidence/{OPEN}/{_sha(town_pdf)}"' in team_row
        for sha, body in ((_sha(town_photo), town_photo), (_sha(town_pdf), town_pdf), (_sha(own), own)):
            got = await village.get(f"/evidence/{OPEN}/{sha}")
            assert got.status_code == 200 and got.content == body


async def test_a_refused_review_keeps_the_townships_files(acting: tuple[Console, list[Taken]]) -> None:
    console, taken = acting
    photo = _png((90, 90, 90))
    village = await console.signed_in("bs-1")
    town = await console.signed_in("ts-1")
    async with village, town:
        page = await village.get(f"/ratings/{OPEN}")
        assert (await village.post(f"/ratings/{OPEN}/do/assess", data=_assessment(csrf_of(page.text)))).status_code == 303
        page = await town.get(f"/ratings/{OPEN}")
        no_comment = await town.post(
            f"/ratings/{OPEN}/do/review",
            data={"csrf": csrf_of(page.text), "comment": ""},
            files=[("files-members", ("走访.png", photo, "image/png"))],
        )
        assert no_comment.status_code == 400 and "意见：必填" in no_comment.text
        review = no_comment.text.split('id="review-form"')[1].split("</form>")[0]
        assert f'name="kept-members" value="{_sha(photo)}:走访.png" checked' in review
        answer = await town.post(
            f"/ratings/{OPEN}/do/review",
            data={"csrf": csrf_of(page.text), "comment": "同意上报", "kept-members": f"{_sha(photo)}:走访.png"},
        )
        assert answer.status_code == 303, answer.text
    members = _score(taken[-1].command.scores, "members")
    assert members.points == 20 and [f.name for f in members.files] == ["走访.png"]
    assert [s.code for s in taken[-1].command.scores] == ["members"]  # the other items: not given, the organization's
