"""The console's forms, each turned into one command (the model refuses a bad field with a message naming it).

An action name (the form's ``action`` path segment) maps to the command it sends and the fields it reads:

    progress      ReportProgress    measure_id, note, evidence (one reference per line), uploaded files
    complete      CompleteMeasure   the same; evidence or a file is required
    plan          SubmitPlan        summary, measures m-<n>-id / -description / -problems / -responsible / -partners / -deadline | -budget
    approve_plan  ApprovePlan       comments                              signed with a passkey
    return_plan   ReturnPlan        comments
    self_check    SubmitSelfCheck   summary
    acceptance    RecordAcceptance  score (0–100), unsatisfied (% of people unsatisfied), comments   signed
    follow_up     RecordFollowUp    relapsed (yes/no), note
    close         CloseCase         outcome, note                           signed
    relief        RequestRelief     measure_ids, reason
    pause         PauseMeasures     request (Q1…) | requested_by, measure_ids, reason
    resume        ResumeMeasures    measure_ids, note
    extend        ExtendDeadline    request | requested_by, measure_id, by (e.g. 10wd) | to (a date), reason
    sanction      DecideSanction    proposal_id, decision (approved|dismissed), comment   signed

Nothing here decides: the command goes to the case's workflow, which verifies who sends it and applies the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from domain.actors import Actor
from domain.evidence import EvidenceFile
from domain.proposals import DecideSanction
from domain.rectification import (
    ApprovePlan,
    CloseCase,
    CompleteMeasure,
    ExtendDeadline,
    PauseMeasures,
    RecordAcceptance,
    RecordFollowUp,
    ReportProgress,
    RequestRelief,
    ResumeMeasures,
    ReturnPlan,
    SubmitPlan,
    SubmitSelfCheck,
)
from i18n.console import field_path, field_reason
from service.commands import command
from service.errors import InvalidField, Refused

Form = Mapping[str, list[str]]  # a form's fields, each with every value it was sent
MAX_TEXT = 4000  # characters in one text field (a note, a comment)
MAX_MEASURES = 50


def kept_values(files: list[EvidenceFile]) -> list[str]:
    """Stored files a form offers again (after a refused attempt, or a returned self-assessment), as its
    ``kept`` fields carry them: "sha256:name", each once; web/pages.py checks each again from the store."""
    return [f"{f.sha256}:{f.name}" for f in {f.sha256: f for f in files}.values()]


def first(form: Form, name: str, default: str = "") -> str:
    values = form.get(name) or []
    value = values[0].strip() if values else default
    if len(value) > MAX_TEXT:
        raise Refused(f"{name}: at most {MAX_TEXT} characters (字段过长，最多 {MAX_TEXT} 字)", code="invalid_command")
    return value


def lines(form: Form, name: str) -> list[str]:
    return [line.strip() for value in form.get(name) or [] for line in value.splitlines() if line.strip()]


def many(form: Form, name: str) -> list[str]:
    return [v.strip() for v in form.get(name) or [] if v.strip()]


def _number(form: Form, name: str, what: str) -> float:
    text = first(form, name)
    try:
        return float(text)
    except ValueError:
        raise Refused(f"{name}: {what} is a number, not {text!r}", code="invalid_command") from None


def _optional(value: str) -> str | None:
    return value or None


def _plan(form: Form) -> dict[str, Any]:
    measures = []
    for n in range(1, MAX_MEASURES + 1):
        key = f"m-{n}-"
        if not first(form, key + "id") and not first(form, key + "description"):
            continue
        measure: dict[str, Any] = {
            "id": first(form, key + "id"),
            "description": first(form, key + "description"),
            "problems": many(form, key + "problems"),
            "responsible": first(form, key + "responsible"),
            "partners": many(form, key + "partners"),  # 结对帮扶 (issue 14): person ids, one field each
        }
        deadline, budget = first(form, key + "deadline"), first(form, key + "budget")
        if deadline:
            measure["deadline"] = deadline
        if budget:
            measure["budget"] = budget
        measures.append(measure)
    return {"measures": measures, "summary": first(form, "summary")}


def _report(form: Form) -> dict[str, Any]:
    return {"measure_id": first(form, "measure_id"), "note": first(form, "note"), "evidence": lines(form, "evidence")}


def _acceptance(form: Form) -> dict[str, Any]:
    unsatisfied = _number(form, "unsatisfied", "the share of people unsatisfied (%)")
    return {
        "score": _number(form, "score", "the score"),
        "unsatisfied_share": round(unsatisfied / 100, 4),
        "comments": first(form, "comments"),
    }


def _pause(form: Form) -> dict[str, Any]:
    return {
        "measure_ids": many(form, "measure_ids"),
        "reason": first(form, "reason"),
        "request": _optional(first(form, "request")),
        "requested_by": _optional(first(form, "requested_by")),
    }


def _extend(form: Form) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "measure_id": first(form, "measure_id"),
        "reason": first(form, "reason"),
        "request": _optional(first(form, "request")),
        "requested_by": _optional(first(form, "requested_by")),
    }
    by, to = first(form, "by"), first(form, "to")
    if by:
        fields["by"] = by
    if to:
        fields["to"] = to
    return fields


class Action(BaseModel):
    model: type[BaseModel]
    read: Callable[[Form], dict[str, Any]]
    uploads: bool = False  # the form may carry evidence files


ACTIONS: dict[str, Action] = {
    "progress": Action(model=ReportProgress, read=_report, uploads=True),
    "complete": Action(model=CompleteMeasure, read=_report, uploads=True),
    "plan": Action(model=SubmitPlan, read=_plan),
    "approve_plan": Action(model=ApprovePlan, read=lambda f: {"comments": first(f, "comments")}),
    "return_plan": Action(model=ReturnPlan, read=lambda f: {"comments": first(f, "comments")}),
    "self_check": Action(model=SubmitSelfCheck, read=lambda f: {"summary": first(f, "summary")}),
    "acceptance": Action(model=RecordAcceptance, read=_acceptance),
    "follow_up": Action(
        model=RecordFollowUp, read=lambda f: {"relapsed": first(f, "relapsed") in {"yes", "true", "1", "on"}, "note": first(f, "note")}
    ),
    "close": Action(model=CloseCase, read=lambda f: {"outcome": first(f, "outcome"), "note": first(f, "note")}),
    "relief": Action(model=RequestRelief, read=lambda f: {"measure_ids": many(f, "measure_ids"), "reason": first(f, "reason")}),
    "pause": Action(model=PauseMeasures, read=_pause),
    "resume": Action(model=ResumeMeasures, read=lambda f: {"measure_ids": many(f, "measure_ids"), "note": first(f, "note")}),
    "extend": Action(model=ExtendDeadline, read=_extend),
    "sanction": Action(
        model=DecideSanction,
        read=lambda f: {"proposal_id": first(f, "proposal_id"), "decision": first(f, "decision"), "comment": first(f, "comment")},
    ),
}


def action(name: str) -> Action:
    found = ACTIONS.get(name)
    if found is None:
        raise Refused(f"unknown action {name!r}", code="invalid_command")
    return found


def build(name: str, form: Form, actor: Actor, files: list[EvidenceFile] | None = None, lang: str = "zh") -> dict[str, Any]:
    """The command body (JSON, without the actor) a form asks for; ``Refused`` naming a bad field as the
    form labels it (整改措施 2 · 责任人：必填)."""
    chosen = action(name)
    fields = chosen.read(form)
    if chosen.uploads:
        fields["files"] = [f.model_dump() for f in files or []]
    try:
        model = command(chosen.model, actor=actor, **fields)
    except InvalidField as bad:
        sep = "：" if lang == "zh" else ": "
        where = field_path(bad.field, lang) + sep if bad.field else ""
        raise Refused(where + field_reason(bad.reason, lang), code="invalid_command") from None
    body: dict[str, Any] = model.model_dump(mode="json", exclude={"actor", "proof"})
    return body


def rebuild(name: str, body: Mapping[str, Any], actor: Actor) -> dict[str, Any]:
    """A body a script sends back to be signed and sent: it must be exactly what ``build`` makes of it."""
    chosen = action(name)
    if body.get("type") != chosen.model.model_fields["type"].default:
        raise Refused(f"the signed command is not a {name}", code="invalid_command")
    fields = {k: v for k, v in body.items() if k not in {"actor", "proof"}}
    again: dict[str, Any] = command(chosen.model, actor=actor, **fields).model_dump(mode="json", exclude={"actor", "proof"})
    if again != dict(body):
        raise Refused("the command to sign is not in its canonical form: reload the page", code="invalid_command")
    return again
