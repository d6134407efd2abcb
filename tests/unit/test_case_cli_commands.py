"""The CLI doors of issue 14's case commands: `pdca case sanction execute`, `pdca case findings`,
`pdca case memory`, and `pdca case open` refusing a history in the case file — each bad input refused
in one line naming the field, before anything is sent; the help is Chinese first."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from tests.unit.test_bad_input_matrix import EXAMPLES, Ctx, cli


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Ctx:
    return Ctx(tmp_path, monkeypatch)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["sanction", "execute", "--help"], "落实"),
        (["findings", "--help"], "检查发现问题"),
        (["memory", "--help"], "历史记录"),
        (["open", "--help"], "directory"),
    ],
)
def test_help(args: list[str], fragment: str) -> None:
    result = CliRunner().invoke(app, ["case", *args])
    assert result.exit_code == 0 and fragment in result.output


def test_execute_refuses_an_impossible_date(ctx: Ctx) -> None:
    line = cli(ctx, "case", "sanction", "execute", "rect-V001-2026", "--proposal", "S1", "--action", "免职", "--on", "2027-02-30")
    assert "executed_on" in line


def test_findings_need_a_source_and_well_formed_findings(ctx: Ctx) -> None:
    good = ctx.tmp / "findings.yaml"
    good.write_text(yaml.safe_dump({"findings": [{"finding_id": "F1", "category": "governance", "description": "x"}]}), encoding="utf-8")
    assert "source" in cli(ctx, "case", "findings", "rect-V001-2026", str(good))
    bad = ctx.tmp / "bad.yaml"
    bad.write_text(yaml.safe_dump({"source": "insp-1", "findings": [{"finding_id": "F 1", "category": "governance"}]}), encoding="utf-8")
    assert "finding" in cli(ctx, "case", "findings", "rect-V001-2026", str(bad))
    # a recorded inspection's findings go through `inspection to-case`, never retyped here
    assert "inspection to-case" in cli(ctx, "case", "findings", "rect-V001-2026", str(good), "--source", "insp-2027-001")


def test_open_refuses_a_history_in_the_case_file(ctx: Ctx) -> None:
    data = yaml.safe_load((EXAMPLES / "case-V001.yaml").read_text(encoding="utf-8"))
    data["history"] = [{"org_code": "V001", "year": 2025, "designated": True}]
    path = ctx.tmp / "case.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    line = cli(ctx, "case", "open", str(path))
    assert line.startswith("history") or "history" in line
