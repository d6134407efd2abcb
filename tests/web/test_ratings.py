"""The console's star rating pages (评星定级, read only): the list and a rating, by scope, as a case is seen.

Ratings are seeded as the case is (tests/web/conftest.py): the rating decider's events appended through the
audit log, whose projection writes the rating ledger the list reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain import rating as r
from domain.actors import Actor, Role
from domain.decider import Context, Tick
from domain.directory import OrgDomain
from domain.policy import Policy
from domain.workcal import WorkCalendar
from tests.unit import builders
from tests.web.conftest import Console, _append

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
    import re

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
