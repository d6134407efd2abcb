"""The star rating's forms (评星定级), each turned into one call of service.ratings as the signed-in person;
a refusal worded as the form labels its fields (政治功能强 · 得分：…), so the page can show it beside what was typed.

    assess   提交自评   service.ratings.assess          points-<item> (every point item), evidence-<item> (references,
                                                        comma or newline separated), files-<item> (uploads), vetoes (veto
                                                        items that occurred), note
    review   审核上报   service.ratings.review          points-<item> and note-<item> (only the items corrected),
                                                        files-<item> (the township's uploads), vetoes, comment
    return   退回       service.ratings.return_rating   comment

Uploaded files (``files-<item>``, and ``kept-<item>``: "sha256:name" of files stored by a refused attempt or
by the self-assessment being revised) are stored by web/pages.py before ``read`` turns the form into scores,
and go on that item's score. A review's files for an item whose points it does not correct keep the
organization's score for it, the files added (service.ratings.keep_own).

Approval (审定) judges the organization and carries the county person's own signature: it stays with
`pdca rating approve`. Nothing here decides: the rating's workflow verifies who sends each command and
applies the rules (points within the item, every item scored, roles, scope, stage, separation of duties).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from domain.errors import DomainError
from domain.evidence import EvidenceFile
from domain.rating import RatingState
from i18n.console import field_reason, refusal
from service.commands import command
from service.errors import InvalidField, Refused, ServiceError
from service.ratings import AssessmentFile, ItemName, RatingView, keep_own
from web.forms import Form, first, kept_values, many

ACTIONS = ("assess", "review", "return")
SEPARATORS = re.compile(r"[,，;；\r\n]+")  # evidence references: comma or newline separated (full-width too)

# what the rating forms' fields are called on the page
FIELDS: dict[str, tuple[str, str]] = {
    "points": ("得分", "points"),
    "evidence": ("佐证材料", "evidence"),
    "files": ("佐证文件", "evidence files"),
    "note": ("说明", "note"),
    "code": ("项目", "item"),
    "vetoes": ("一票否决事项", "veto items"),
    "scores": ("评分", "scores"),
    "comment": ("意见", "comment"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def point_items(view: RatingView) -> list[ItemName]:
    """The standard's point items, in its order (one number input each)."""
    return [item for item in view.items.values() if not item.veto]


def veto_items(view: RatingView) -> list[ItemName]:
    return [item for item in view.items.values() if item.veto]


def references(text: str) -> list[str]:
    return [part.strip() for part in SEPARATORS.split(text) if part.strip()]


def _points(text: str, item: ItemName, lang: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        name = _pick((item.zh, item.en), lang)
        zh, en = f"{name} · 得分：须为数字，不是“{text}”", f"{name} · points: a number, not {text!r}"
        raise Refused(_pick((zh, en), lang), code="invalid_command")
    return value


def item_label(item: ItemName, field: str, lang: str) -> str:
    """An item's field as the form labels it, ready for the reason: ``政治功能强 · 佐证文件：``."""
    return f"{_pick((item.zh, item.en), lang)} · {_pick(FIELDS[field], lang)}{'：' if lang == 'zh' else ': '}"


Files = Mapping[str, list[EvidenceFile]]  # each point item's uploaded files, stored (by item code)


def typed_items(form: Form, view: RatingView, files: Files | None = None) -> list[ItemName]:
    """The point items the form gives points for — or, in a review, ``files`` for — in the order they are
    sent (an item left empty is not sent: a review keeps the organization's points; a self-assessment
    without it is refused by the rule)."""
    files = files or {}
    return [item for item in point_items(view) if first(form, f"points-{item.code}") or files.get(item.code)]


def read(form: Form, view: RatingView, *, review: bool, lang: str = "zh", files: Files | None = None) -> AssessmentFile:
    """The scores a self-assessment (every item typed) or a review (only the items corrected, or given
    files) form carries, each item with its uploaded ``files``."""
    files = files or {}
    scores: list[dict[str, Any]] = []
    for item in typed_items(form, view, files if review else None):
        text = first(form, f"points-{item.code}")
        uploaded = files.get(item.code, [])
        note = first(form, f"note-{item.code}")
        if review and not text:  # files, no points: the organization's score, the township's files added
            scores.append(keep_own(view.state, item.code, uploaded, note))
            continue
        score: dict[str, Any] = {"code": item.code, "points": _points(text, item, lang)}
        if not review:
            score["evidence"] = references(first(form, f"evidence-{item.code}"))
        if uploaded:
            score["files"] = [f.model_dump(mode="json") for f in uploaded]
        if note:
            score["note"] = note
        scores.append(score)
    note = "" if review else first(form, "note")
    file: AssessmentFile = command(AssessmentFile, scores=scores, vetoes=many(form, "vetoes"), note=note)
    return file


# ----------------------------------------------------------------------------- refusals, as the form labels its fields


def _item(codes: list[str], index: int, view: RatingView, lang: str) -> str:
    code = codes[index] if 0 <= index < len(codes) else ""
    item = view.items.get(code)
    return _pick((item.zh, item.en), lang) if item else f"{_pick(FIELDS['scores'], lang)} {index + 1}"


def _field(location: str, codes: list[str], view: RatingView, lang: str) -> str:
    """``scores.1.points`` as the form labels it: 班子队伍强 · 得分."""
    parts = location.split(".")
    if parts[0] == "scores" and len(parts) > 1 and parts[1].isdigit():
        words = [_item(codes, int(parts[1]), view, lang)]
        rest = parts[2:]
    else:
        words, rest = [], parts
    for part in rest:
        if part.isdigit() and words:
            words[-1] = f"{words[-1]} {int(part) + 1}"
        else:
            words.append(_pick(FIELDS.get(part, (part, part)), lang))
    return " · ".join(words)


REASONS: dict[str, tuple[str, str]] = {"Input should be greater than or equal to 0": ("不能小于 0", "at least 0")}
LOCATED = re.compile(r"^(?P<field>scores|vetoes)\[(?P<index>\d+)\](?:\.(?P<sub>\w+))?:\s*")
MISSING = re.compile(r"^scores: every point item is scored in a self-assessment; missing: (?P<codes>.+)$")
ABOVE = re.compile(r"^(?P<points>[\d.]+) is more than .+ allows \((?P<full>[\d.]+)\)$")


def _rule_message(message: str, codes: list[str], view: RatingView, lang: str) -> str:
    """The rule's message with the field it names as the form labels it (the rule's own words otherwise)."""
    sep = "：" if lang == "zh" else ": "
    missing = MISSING.match(message)
    if missing:
        names = [view.items[c] if c in view.items else ItemName(code=c, zh=c, en=c) for c in missing.group("codes").split(", ")]
        listed = ("、" if lang == "zh" else ", ").join(_pick((n.zh, n.en), lang) for n in names)
        return _pick(("每个计分项目都要打分，未填：", "every point item is scored; missing: "), lang) + listed
    located = LOCATED.match(message)
    if not located:
        return message
    rest = message[located.end() :]
    if located.group("field") == "scores":
        where = _field(f"scores.{located.group('index')}" + (f".{located.group('sub')}" if located.group("sub") else ""), codes, view, lang)
        above = ABOVE.match(rest)
        if above and lang == "zh":
            rest = f"{above.group('points')} 分超过满分 {above.group('full')} 分"
    else:
        where = _pick(FIELDS["vetoes"], lang)
    return f"{where}{sep}{rest}"


def word(error: ServiceError | DomainError, codes: list[str], view: RatingView, lang: str) -> tuple[str, str | None]:
    """A refusal as the page shows it (its label and the reason, fields named as the form labels them),
    and its code (for the status)."""
    sep = "：" if lang == "zh" else ": "
    if isinstance(error, InvalidField):
        where = _field(error.field, codes, view, lang) + sep if error.field else ""
        reason = _pick(REASONS[error.reason], lang) if error.reason in REASONS else field_reason(error.reason, lang)
        return refusal("invalid_command", where + reason, lang), "invalid_command"
    code = getattr(error, "code", None)
    return refusal(code, _rule_message(error.message, codes, view, lang), lang), code


# ----------------------------------------------------------------------------- what a form shows


def assessed_values(state: RatingState) -> dict[str, list[str]]:
    """A returned self-assessment (退回修改) as its form's values: the organization revises, not retypes
    (its files offered again, as a refused attempt's are)."""
    own = state.self_assessment
    if own is None:
        return {}
    values: dict[str, list[str]] = {"vetoes": list(own.vetoes), "note": [own.note]}
    for score in own.scores:
        values[f"points-{score.code}"] = [f"{score.points:g}"]
        values[f"evidence-{score.code}"] = ["\n".join(score.evidence)]
        values[f"kept-{score.code}"] = kept_values(score.files)  # sent again unless unticked
    return values


def form_values(failed: str | None, form: Mapping[str, list[str]], state: RatingState) -> dict[str, dict[str, list[str]]]:
    """Each rating form's values: what was typed into the one refused, the last self-assessment for a
    revision, empty otherwise."""
    values: dict[str, dict[str, list[str]]] = {name: {} for name in ACTIONS}
    values["assess"] = assessed_values(state)
    if failed in values:
        values[failed] = dict(form)
    return values
