"""`pdca inspection`: 检查 inspections — 明察暗访、专项抽查、观摩 — and what becomes of their findings.

Record a visit with its findings (a YAML file), add findings, dispose of each finding: into a case
(转入整顿案件: new problems its plan must address), into a year's designation (列入认定: a direct
criterion), or closed with a note (办结); close the inspection. Every command calls one function of
service/inspections.py; the screens are in cli/inspection_view.py.
"""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import Annotated, Any

import typer

from cli import history_view
from cli import inspection_view as view
from cli.common import PolicyOpt, RequestOpt, change, deps, emit, noun, opts, run
from service import inspections
from service.commands import Done
from service.inspections import FindingsFile, InspectionFile
from settings.directory import load_policy
from settings.files import read_yaml, validate

HELP = """检查 inspections: 明察暗访 (unannounced) / 专项抽查 (spot check) / 观摩 (observation) visits and their findings.

Record a visit (who, where, when, announced or not) with the problems found at each organization, then
dispose of each finding: into the organization's rectification case (转入整顿案件: new problems of its
current cycle), into a year's designation as a direct criterion (列入认定), or closed with a note (办结).
See docs/inspections.md.
"""

app = noun(HELP)

InspectionArg = Annotated[str, typer.Argument(help="检查编号 Inspection id, e.g. insp-2027-001 (printed by `pdca inspection record`).")]
FindingsArg = Annotated[list[str], typer.Argument(help="问题编号 Finding ids, e.g. F1 F2 (see `pdca inspection show`).")]


def _load(path: Path, model: type[Any]) -> Any:
    data, node = read_yaml(path)
    return validate(model, data, node, path)


@app.command("record")
def record(
    file: Annotated[
        Path,
        typer.Argument(
            help="检查记录 YAML: kind (unannounced 明察暗访 / spot_check 专项抽查 / observation 观摩), visited_on, announced, "
            "title, orgs, companions, note, findings (org_code, category, description, evidence); see examples/inspection-2027-001.yaml."
        ),
    ],
    policy_file: PolicyOpt = None,
) -> None:
    """记录检查 Record a visit and its findings; the acting person is the inspector (numbered insp-<year>-<NNN>)."""

    def send(actor: Any) -> Awaitable[Done]:
        return inspections.record(deps(), _load(file, InspectionFile), actor, load_policy(policy_file))

    change(send)


@app.command("finding")
def finding(
    inspection_id: InspectionArg,
    file: Annotated[Path, typer.Option("--file", help="YAML with findings: [{org_code, category, description, evidence}].")],
    request_id: RequestOpt = None,
) -> None:
    """补记问题 Add findings to an inspection (each at one organization visited; numbered F1, F2, … in order)."""
    change(lambda a: inspections.add_findings(deps(), inspection_id, a, _load(file, FindingsFile).findings, request_id))


@app.command("to-case")
def to_case(
    inspection_id: InspectionArg,
    finding_ids: FindingsArg,
    case_id: Annotated[
        str | None,
        typer.Option("--case", help="整顿案件 The case, e.g. rect-V3007-2027 [default: the organization's case of the inspection's year]."),
    ] = None,
    request_id: RequestOpt = None,
) -> None:
    """转入整顿案件 Refer findings to the organization's case: they become problems its plan must address."""
    change(lambda a: inspections.refer_to_case(deps(), inspection_id, a, finding_ids, case_id, request_id))


@app.command("to-designation")
def to_designation(
    inspection_id: InspectionArg,
    finding_ids: FindingsArg,
    year: Annotated[int, typer.Option("--year", help="认定年度 The designation year whose direct criteria they become (e.g. 2028).")],
    note: Annotated[str, typer.Option("--note", help="Why (说明).")] = "",
    request_id: RequestOpt = None,
) -> None:
    """列入认定 Refer findings to a year's designation: their organizations are designated directly (signed)."""
    change(lambda a: inspections.refer_to_designation(deps(), inspection_id, a, finding_ids, year, note, request_id))


@app.command("close-finding")
def close_finding(
    inspection_id: InspectionArg,
    finding_ids: FindingsArg,
    note: Annotated[str, typer.Option("--note", help="Why nothing more is needed (当场整改 / 不予认定 …), required.")],
    request_id: RequestOpt = None,
) -> None:
    """问题办结 Close findings that need nothing more, with a note."""
    change(lambda a: inspections.close_findings(deps(), inspection_id, a, finding_ids, note, request_id))


@app.command("close")
def close(
    inspection_id: InspectionArg,
    note: Annotated[str, typer.Option("--note", help="Closing note.")] = "",
    request_id: RequestOpt = None,
) -> None:
    """检查办结 Close the inspection once every finding is disposed of."""
    change(lambda a: inspections.close(deps(), inspection_id, a, note, request_id))


@app.command("show")
def show(inspection_id: InspectionArg) -> None:
    """查看检查 Show an inspection: the visit, each finding and what became of it."""

    def action() -> None:
        state = inspections.show(deps(), inspection_id)
        emit(state, lambda: view.detail(state, opts().lang.value))

    run(action)


@app.command("list")
def list_inspections(
    year: Annotated[int | None, typer.Option("--year", help="Only this year.")] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="open (处置中) / closed (已办结).")] = None,
) -> None:
    """检查列表 List inspections with their findings' disposal counts."""

    def action() -> None:
        rows = inspections.list_inspections(deps(), year=year, stage=stage)
        emit([r.model_dump(mode="json") for r in rows], lambda: view.inspection_list(rows, opts().lang.value))

    run(action)


@app.command("findings")
def findings(
    org: Annotated[str | None, typer.Option("--org", help="Only this organization code.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="open (待处置) / case (转入案件) / designation (列入认定) / closed (已办结).")
    ] = None,
) -> None:
    """问题清单 Findings of every inspection, with how each was disposed of."""

    def action() -> None:
        rows = inspections.findings(deps(), org_code=org, status=status)
        emit([r.model_dump(mode="json") for r in rows], lambda: view.finding_list(rows, opts().lang.value))

    run(action)


@app.command("history")
def history(inspection_id: InspectionArg) -> None:
    """全程纪实 The audit trail of an inspection: every event, who, when."""

    def action() -> None:
        rows = inspections.history(deps(), inspection_id)
        emit(history_view.history_json(rows), lambda: history_view.history(rows, opts().lang.value))

    run(action)
