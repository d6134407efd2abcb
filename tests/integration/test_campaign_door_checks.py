"""What the campaign's doors check before anything reaches Temporal, and what the designation list shows,
on a real SQLite directory and audit log (examples/orgs.csv):

* memory evidence an earlier case's proposal already cited (``HistoryRecord.proposed``) is spent in the
  preview and in `org show`, as the case's own rules skip it (domain.memory.spent_evidence);
* `campaign step --org` refuses codes the directory does not know and codes of another township;
* `campaign open` refuses an unknown region (naming the known ones) and a year after next year;
* `campaign steps` reads the procedure the campaign enforces from its opening event, and says when the
  campaign does not exist."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from domain.actors import Actor, Role
from domain.campaign import DECIDER, EVENT_ADAPTER, CampaignOpened, OpenCampaign, campaign_id_for
from domain.decider import Context
from domain.memory import RuleName
from domain.policy import Policy
from domain.policy.designation import DesignationPolicy, DesignationStep
from service import campaigns
from service.bootstrap import Deps
from service.directory import designation_preview, show_organization
from service.errors import NotFound, Refused
from settings import Settings
from store.db import make_engine
from store.directory import Directory, record_evidence
from store.directory_import import parse_file
from store.eventlog import NewEvent
from store.migrate import upgrade
from worker import open_audit_log

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "orgs.csv"
SUPERVISOR = Actor(id="sup-zhang", name="张督导", roles=[Role.SUPERVISOR])
LEADER = Actor(id="cl-zhao", name="赵县长", roles=[Role.COUNTY_LEADER])
STEPS = Policy(
    designation=DesignationPolicy(
        steps=[
            DesignationStep(code="visit", zh="县级领导遍访", roles=[Role.COUNTY_LEADER]),
            DesignationStep(code="decide", zh="常委会议审定", roles=[Role.SUPERVISOR]),
        ]
    )
)


@dataclass
class County:
    url: str
    deps: Deps


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def county(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[County]:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setenv("PDCA_DATABASE_URL", url)
    monkeypatch.setenv("PDCA_HOME", str(tmp_path))
    monkeypatch.setenv("TEMPORAL_ADDRESS", f"127.0.0.1:{_free_port()}")  # nothing listens: no Temporal here
    monkeypatch.delenv("PDCA_POLICY", raising=False)
    monkeypatch.delenv("PDCA_LANG", raising=False)
    engine = make_engine(url)
    upgrade(engine)
    Directory(engine).import_records(parse_file(SAMPLE, []))
    yield County(url, Deps(settings=Settings(home=tmp_path), database_url=url, timeout=3.0))
    engine.dispose()


def _opened(county: County, region: str | None, year: int, policy: Policy, *, legacy: bool = False) -> str:
    """The campaign's opening in its audit log, as its workflow writes it (``legacy``: without the
    procedure, as openings before it was recorded)."""
    opening = OpenCampaign(actor=SUPERVISOR, region=region, year=year)
    [event] = DECIDER.decide(DECIDER.initial, opening, Context(now=datetime.now(UTC), policy=policy))
    assert isinstance(event, CampaignOpened)
    if legacy:
        event = event.model_copy(update={"steps": None})
    cid = campaign_id_for(region, year)
    payload = EVENT_ADAPTER.dump_json(event).decode()
    open_audit_log(county.url).append(cid, 0, [NewEvent(str(uuid.uuid4()), event.type, event.actor, payload, policy.version)])
    return cid


def _rules(findings) -> list[RuleName]:  # type: ignore[no-untyped-def]
    return [f.rule for f in findings]


# ----------------------------------------------------------------------------- spent memory evidence


def test_preview_and_org_show_skip_evidence_an_earlier_case_proposed(county: County) -> None:
    policy = Policy()
    before = show_organization(county.deps, "X1001", policy)
    assert _rules(before.findings) == [RuleName.LAST_PLACE] and before.findings[0].years == [2025, 2026]
    listed = designation_preview(county.deps, 2026, policy)
    s3003 = next(d for d in listed.designees if d.org_code == "S3003")
    assert _rules(s3003.memory) == [RuleName.DESIGNATED_REPEATEDLY, RuleName.LAST_PLACE]
    assert "X1001" in {o.org_code for o in listed.other_findings}

    # the 2026 cases proposed last_place on (2025, 2026): that evidence is spent
    with make_engine(county.url).begin() as conn:
        for code in ("X1001", "S3003"):
            record_evidence(conn, code, {2025: ["last_place"], 2026: ["last_place"]})

    assert show_organization(county.deps, "X1001", policy).findings == []
    after = designation_preview(county.deps, 2026, policy)
    s3003 = next(d for d in after.designees if d.org_code == "S3003")
    assert _rules(s3003.memory) == [RuleName.DESIGNATED_REPEATEDLY]  # only what the case will propose
    assert "X1001" not in {o.org_code for o in after.other_findings}
    screen = CliRunner().invoke(app, ["org", "show", "X1001"])
    assert screen.exit_code == 0, screen.output
    assert "综合考评排名末位" not in screen.stdout


# ----------------------------------------------------------------------------- campaign step --org


def test_step_refuses_unknown_organizations_and_other_townships(county: County) -> None:
    cid = _opened(county, "城关镇", 2027, STEPS)
    with pytest.raises(Refused) as unknown:
        asyncio.run(campaigns.record_step(county.deps, cid, LEADER, "visit", "遍访", org_codes=["NOPE", "C1001", "NOPE2"]))
    assert "--org" in unknown.value.message and "NOPE, NOPE2" in unknown.value.message
    assert "名录中没有这些党组织" in unknown.value.message and "C1001" not in unknown.value.message
    with pytest.raises(Refused) as elsewhere:
        asyncio.run(campaigns.record_step(county.deps, cid, LEADER, "visit", "遍访", org_codes=["C1001", "V2011"]))
    assert "V2011（河西镇）" in elsewhere.value.message and "城关镇" in elsewhere.value.message
    assert "C1001" not in elsewhere.value.message.split("：")[-1].split("/")[0]
    # a county-wide campaign takes any organization of the directory, and no other
    county_wide = _opened(county, None, 2027, STEPS)
    with pytest.raises(Refused, match="NOPE"):
        asyncio.run(campaigns.record_step(county.deps, county_wide, LEADER, "visit", "遍访", org_codes=["V2011", "NOPE"]))
    # a campaign never opened is not running (nothing is sent)
    with pytest.raises(NotFound, match="no running campaign camp-.*2031"):
        asyncio.run(campaigns.record_step(county.deps, campaign_id_for("城关镇", 2031), LEADER, "visit", "遍访", org_codes=["C1001"]))


# ----------------------------------------------------------------------------- campaign open


def test_open_refuses_an_unknown_region_and_a_year_after_next(county: County) -> None:
    today = date(2026, 12, 7)
    campaigns.opening_checked(county.deps, "城关镇", 2027, today=today)
    campaigns.opening_checked(county.deps, None, 2026, today=today)
    with pytest.raises(Refused) as mars:
        campaigns.opening_checked(county.deps, "火星镇", 2027, today=today)
    assert "--region" in mars.value.message and "火星镇" in mars.value.message
    assert "城关镇、" in mars.value.message and "柳林乡" in mars.value.message  # the known ones, named
    with pytest.raises(Refused) as far:
        campaigns.opening_checked(county.deps, "城关镇", 2028, today=today)
    assert "--year 2028" in far.value.message and "2027" in far.value.message
    # the service refuses before it starts anything (no Temporal listens here)
    with pytest.raises(Refused, match="--year 2099"):
        asyncio.run(campaigns.open_campaign(county.deps, SUPERVISOR, None, 2099, Policy()))
    with pytest.raises(Refused, match="火星镇"):
        asyncio.run(campaigns.open_campaign(county.deps, SUPERVISOR, "火星镇", date.today().year, Policy()))


# ----------------------------------------------------------------------------- campaign steps


def test_steps_show_the_procedure_the_campaign_was_opened_with(county: County) -> None:
    cid = _opened(county, "城关镇", 2027, STEPS)
    source, rows = asyncio.run(campaigns.steps(county.deps, cid, Policy()))  # another policy: the campaign's wins
    assert source == "opening"
    assert [(r.code, r.zh, r.actor) for r in rows] == [("visit", "县级领导遍访", None), ("decide", "常委会议审定", None)]
    # an opening from before the procedure was recorded, its workflow gone: the policy file is the best left
    legacy = _opened(county, "河西镇", 2027, STEPS, legacy=True)
    source, rows = asyncio.run(campaigns.steps(county.deps, legacy, STEPS))
    assert source == "policy" and [r.code for r in rows] == ["visit", "decide"]
    with pytest.raises(NotFound, match="没有年度整顿工作 camp-.*2031"):
        asyncio.run(campaigns.steps(county.deps, campaign_id_for("城关镇", 2031)))


def test_steps_cli_without_policy(county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    import cli.campaign as campaign_cli
    from cli import common

    monkeypatch.setattr(campaign_cli, "run_then_exit", common.run)  # without os._exit: this is the test process
    _opened(county, "城关镇", 2027, STEPS)
    shown = CliRunner().invoke(app, ["campaign", "steps", "--year", "2027", "--region", "城关镇"])
    assert shown.exit_code == 0, shown.output
    assert "县级领导遍访" in shown.stdout and "常委会议审定" in shown.stdout and "未设认定程序步骤" not in shown.stdout
    assert "认定程序来自：本次整顿启动时的政策" in shown.stdout
    missing = CliRunner().invoke(app, ["campaign", "steps", "--year", "2031"])
    assert missing.exit_code == 1 and "没有年度整顿工作 camp-" in missing.stderr
