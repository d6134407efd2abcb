"""What the designation reads besides the directory: category-standard results (table standard_result,
migration 0014; the import's parser), inspection findings referred to it, and the refusal of a future
--as-of. SQLite and PostgreSQL (the ``backend`` fixture), and the CLI on a SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.main import app
from domain.directory import OrgDomain
from settings.directory import load_policy
from store.db import make_engine
from store.directory import Directory
from store.directory_import import ImportFailed, parse_file, parse_standard_rows
from store.migrate import downgrade, upgrade
from store.standards import replace_standard_results, standard_results

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "orgs.csv"
POLICY_002 = ROOT / "examples" / "policy-designation-002.yaml"


def test_standard_results_table_round_trip_and_downgrade(backend) -> None:  # type: ignore[no-untyped-def]
    upgrade(backend.engine)
    assert "standard_result" in set(inspect(backend.engine).get_table_names())
    assert replace_standard_results(backend.engine, 2026, {"C1": {"people": 20, "veto_vacant": 1}, "C2": {"money": 5}}) == 3
    assert replace_standard_results(backend.engine, 2026, {"C1": {"people": 25}}) == 1  # C1's 2026 rows replaced, C2 kept
    assert standard_results(backend.engine, 2026) == {"C1": {"people": 25.0}, "C2": {"money": 5.0}}
    assert standard_results(backend.engine, 2025) == {}
    downgrade(backend.engine, "0013")
    assert "standard_result" not in set(inspect(backend.engine).get_table_names())


def test_standard_file_rows_are_checked_all_or_nothing() -> None:
    policy = load_policy(POLICY_002)
    orgs = {"C1": OrgDomain.COMMUNITY, "C2": OrgDomain.COMMUNITY, "V1": OrgDomain.VILLAGE}
    good = [
        (1, ["编码", "年度", "有人办事", "money", "班子成员严重违纪违法"]),
        (2, ["C1", "2027", "20", "25", "否"]),
        (3, ["C2", 2027, "", "10.5", "是"]),
    ]
    assert parse_standard_rows(good, policy, orgs) == {2027: {"C1": {"people": 20.0, "money": 25.0, "veto_discipline": 0.0},
                                                              "C2": {"money": 10.5, "veto_discipline": 1.0}}}
    bad = [
        (1, ["编码", "年度", "有人办事", "veto_discipline"]),
        (2, ["C1", "2027", "30", "也许"]),  # 30 > 25 points; not 是/否
        (3, ["NOPE", "2027", "1", "否"]),  # unknown organization
        (4, ["V1", "2027", "1", ""]),  # 三有一化 does not apply to a village
        (5, ["C2", "1999", "1", ""]),  # not a year
        (6, ["C1", "2027", "1", ""]),  # C1 2027 twice
    ]
    with pytest.raises(ImportFailed) as failed:
        parse_standard_rows(bad, policy, orgs)
    got = [(e.line, e.field.split("（")[0], e.message) for e in failed.value.errors]
    assert [(line, field) for line, field, _ in got] == [
        (2, "people"), (2, "veto_discipline"), (3, "code"), (4, "people"), (5, "year"), (6, "code")
    ]
    assert "30 is not 0–25 points" in got[0][2] and "not 是/否" in got[1][2] and "already on line 2" in got[5][2]
    with pytest.raises(ImportFailed, match="problem"):
        parse_standard_rows([(1, ["编码", "年度", "有车办事"])], policy, orgs)
    # the header is read like the directory's and pairing units' (store.directory_import.read_columns)
    with pytest.raises(ImportFailed) as headers:
        parse_standard_rows([(1, []), (2, ["code", "有人办事", "people", "备注"])], policy, orgs)
    assert [(e.line, e.field, e.message.split(" (")[0].split(":")[0]) for e in headers.value.errors] == [
        (2, "people", "column people given twice"), (2, "备注", "unknown column"), (2, "year", "missing column")
    ]


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def county(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setenv("PDCA_DATABASE_URL", url)
    monkeypatch.setenv("PDCA_HOME", str(tmp_path))
    monkeypatch.delenv("PDCA_POLICY", raising=False)
    monkeypatch.delenv("PDCA_LANG", raising=False)
    engine = make_engine(url)
    upgrade(engine)
    directory = Directory(engine)
    directory.import_records(parse_file(SAMPLE, []))
    return engine


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


def test_preview_refuses_a_future_as_of(county: Engine) -> None:
    future = invoke("campaign", "preview", "--year", "2026", "--as-of", "2999-01-01")
    assert future.exit_code == 1 and "--as-of 2999-01-01: in the future (today is" in future.stderr
    past = invoke("campaign", "preview", "--year", "2026", "--as-of", "2026-06-30", "--json")
    assert past.exit_code == 0, past.output
    assert json.loads(past.stdout)["as_of"] == "2026-06-30"


def test_preview_reads_standards_and_inspection_referrals(county: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import store.inspections as inspections

    communities = sorted(o.code for o in Directory(county).organizations() if o.domain == OrgDomain.COMMUNITY)
    vetoed, strong = communities[-1], communities[-2]
    replace_standard_results(
        county,
        2026,
        {
            vetoed: {"people": 25, "money": 25, "venue": 25, "service": 25, "veto_vacant": 1},
            strong: {c: 25 for c in ("people", "money", "venue", "service")},
        },
    )
    referred = {"V1001": ["insp-2026-001/F2: 明察暗访发现值班无人"]}
    monkeypatch.setattr(inspections, "referred_to_designation", lambda engine, year: referred if year == 2026 else {})
    out = invoke("campaign", "preview", "--year", "2026", "--policy", str(POLICY_002), "--json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    by_code = {d["org_code"]: d for d in data["designees"]}
    assert [q["domain"] for q in data["quotas"]] == [None] and data["pooling"] == "pooled"
    assert [r["code"] for r in by_code[vetoed]["reasons"]] == ["veto"]
    assert by_code[vetoed]["classification"] == "third" and by_code[vetoed]["label"] == "三有一化薄弱社区党组织"
    assert [r["code"] for r in by_code["V1001"]["reasons"]][-1] == "inspection"
    assert by_code["V1001"]["findings"] == ["insp-2026-001/F2: 明察暗访发现值班无人"]
    assert strong not in by_code or by_code[strong]["classification"] == "first"
    screen = invoke("campaign", "preview", "--year", "2026", "--policy", str(POLICY_002))
    assert "合并：农村、社区" in screen.stdout and "【一票否决】三有一化一票否决：书记长期缺位、班子瘫痪" in screen.stdout
    assert "【督查移交】" in screen.stdout
