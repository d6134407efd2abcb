"""A county's projects level by level (issue 14): `pdca campaign projects` titles each level (书记项目 /
委员项目 / 支部项目) with its own figures, `pdca project list` pages through thousands — on a real SQLite
audit database whose ledger rows come from the project decider's events appended with the projectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from benchmarks.bench_projects import county, project_events, seed
from cli.main import app
from domain.project import Level
from service.bootstrap import bootstrap
from service.errors import InvalidField
from service.projects import by_level, list_page

YEAR = 2027
# 4 organizations: 4 书记项目, 12 委员项目 (3 per organization), 20 支部项目 (5 per organization)
PROJECTS = county(4, 12, 20)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    home = tmp_path_factory.mktemp("home")
    db = f"sqlite:///{home / 'audit.db'}"
    seed(db, PROJECTS)
    return db


@pytest.fixture
def env(url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    for name in ("PDCA_DATABASE_URL", "PDCA_ACTOR", "PDCA_LANG", "TEMPORAL_PROFILE", "TEMPORAL_CONFIG_FILE", "TEMPORAL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PDCA_HOME", str(tmp_path))
    monkeypatch.setenv("PDCA_DATABASE_URL", url)
    return url


def expected(level: Level) -> dict[str, int]:
    """Figures counted from the decided states (not from the ledger): what the database must say."""
    from domain.project import fold

    out = {"applied": 0, "approved": 0, "completed": 0, "rated": 0, "poor": 0, "overdue": 0, "promoted": 0, "rejected": 0}
    for n, p in enumerate(PROJECTS):
        if p[0] != level:
            continue
        state = fold(project_events(n, *p)[1])
        out["applied"] += 1
        out["approved"] += state.approved_at is not None
        out["completed"] += state.stage.value in ("evaluated", "promoted", "closed")
        out["rated"] += state.evaluation is not None
        out["poor"] += state.evaluation is not None and state.evaluation.rating.value == "poor"
        out["overdue"] += state.overdue
        out["promoted"] += state.stage.value == "promoted"
        out["rejected"] += state.stage.value == "rejected"
    return out


def test_each_level_has_its_own_figures(url: str) -> None:
    data = by_level(bootstrap(database_url=url), YEAR, limit=5)
    assert [b["level"] for b in data["levels"]] == ["secretary", "committee_member", "branch"]
    for block in data["levels"]:
        want = expected(Level(block["level"]))
        assert {k: block["figures"][k] for k in want} == want, block["level"]
        assert block["shown"] == min(5, want["applied"]) == len(block["projects"])
        assert {r["level"] for r in block["projects"]} == {block["level"]}
    assert data["figures"]["applied"] == len(PROJECTS) == 36
    # several 委员项目 of one organization, each its own person's
    members = [
        r for r in by_level(bootstrap(database_url=url), YEAR, level="committee_member", limit=None)["projects"] if r["org_code"] == "V0000"
    ]
    assert len(members) == 3 and len({r["owner"] for r in members}) == 3
    assert all(r["project_id"] == f"proj-committee_member-V0000-{YEAR}-{r['owner']}" for r in members)


def test_a_level_alone_figures_only_and_bad_input(url: str) -> None:
    deps = bootstrap(database_url=url)
    only = by_level(deps, YEAR, level="branch", limit=0)
    assert [b["level"] for b in only["levels"]] == ["branch"] and only["projects"] == [] and only["figures"]["applied"] == 20
    assert by_level(deps, 2031)["levels"] == []
    with pytest.raises(InvalidField, match="level"):
        by_level(deps, YEAR, level="township")
    with pytest.raises(InvalidField, match="limit"):
        by_level(deps, YEAR, limit=-1)


def test_list_pages_with_the_total_and_filters(url: str) -> None:
    deps = bootstrap(database_url=url)
    seen: list[str] = []
    for page in (1, 2, 3):
        found = list_page(deps, year=YEAR, level="branch", page=page, page_size=8)
        assert (found.total, found.pages) == (20, 3)
        seen += [r.project_id for r in found.rows]
    assert seen == sorted(seen) and len(set(seen)) == 20
    owner = PROJECTS[-1][3].id
    assert [r.owner for r in list_page(deps, owner=owner).rows] == [owner]
    assert list_page(deps, org_code="V0001", level="committee_member").total == 3
    for bad in ({"page": 0}, {"page_size": 0}, {"page_size": 1001}):
        with pytest.raises(InvalidField):
            list_page(deps, **bad)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout + result.stderr


def test_campaign_projects_titles_each_level(env: str) -> None:
    code, out = invoke("campaign", "projects", "--year", str(YEAR), "--limit", "3")
    assert code == 0, out
    assert f"{YEAR}年度全县书记项目（4个）" in out
    assert f"{YEAR}年度全县委员项目（12个）" in out
    assert f"{YEAR}年度全县支部项目（20个）" in out
    assert "另有 17 个未列出：pdca project list --year 2027 --level branch" in out
    assert "合计（36个）" in out and "申报 12，" in out
    code, out = invoke("campaign", "projects", "--year", str(YEAR), "--level", "committee_member", "--lang", "en", "--limit", "0")
    assert code == 0 and "Committee-member projects 2027, the county (12)" in out and "secretary project" not in out
    code, out = invoke("campaign", "projects", "--year", str(YEAR), "-o", "json", "--all")
    data: dict[str, Any] = json.loads(out)
    assert code == 0 and len(data["projects"]) == 36 and data["figures"]["applied"] == 36
    code, out = invoke("campaign", "projects", "--year", str(YEAR), "--level", "township")
    assert code != 0 and "level" in out


def test_project_list_pages_and_keeps_ids_whole(env: str) -> None:
    code, out = invoke("project", "list", "--year", str(YEAR), "--level", "committee_member", "--page-size", "5")
    assert code == 0, out
    assert out.rstrip().splitlines()[-1] == "共 12 个项目，第 1/3 页"
    assert f"proj-committee_member-V0000-{YEAR}-wy-V0000-00" in out  # whole, not cut (not a terminal)
    code, out = invoke("project", "list", "--owner", "wy-V0001-02", "-o", "json")
    data = json.loads(out)
    assert code == 0 and data["total"] == 1 and data["rows"][0]["project_id"] == f"proj-committee_member-V0001-{YEAR}-wy-V0001-02"
    code, out = invoke("project", "list", "--all", "--page", "2")
    assert code != 0 and "--all" in out
