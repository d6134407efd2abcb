"""What the supervision cadences say (月督导、季观摩、半年通报): titles and the digest / review texts (pure).

The choosing is domain/cadence.py's (``monthly_digest``, ``review_list``); this module only words.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from domain.timeutil import local
from i18n.labels import Lang

if TYPE_CHECKING:
    from domain.cadence import DigestLine, ReviewLine

Template = tuple[str, str]  # (zh, en)

# By cadence kind (the values of domain.policy's CadenceKind).
TITLES: dict[str, Template] = {
    "monthly_digest": ("月度督导通报", "monthly supervision digest"),
    "quarterly_review": ("季度观摩名单", "quarterly review list"),
    "half_year_bulletin": ("半年通报", "half-year bulletin"),
}

_HEADING: Template = ("# {title}（{day}）", "# {title} ({day})")
_NOTHING_DUE: Template = ("本期无逾期或临期整改措施。", "No overdue or upcoming measures this period.")
_DIGEST_TOTALS: Template = (
    "共 {orgs} 个党组织：逾期措施 {overdue} 项，临期措施 {soon} 项。",
    "{orgs} organizations: {overdue} overdue measures, {soon} falling due soon.",
)
_OVERDUE: Template = ("逾期：", "overdue: ")
_DUE_SOON: Template = ("临期：", "due soon: ")
_DUE_SOON_ITEM: Template = ("{m}（{day}）", "{m} ({day})")
_DIGEST_LINE: Template = ("- {org}（{case}）", "- {org} ({case})")
_PART_SEP: Template = ("；", "; ")
_AHEAD: Template = ("观摩学习（进度领先）", "to learn from (furthest ahead)")
_BEHIND: Template = ("现场督导（进度滞后）", "to supervise on site (furthest behind)")
_NONE: Template = ("（无）", "(none)")
_REVIEW_LINE: Template = (
    "- {r.org_name}（{r.region}，{r.case_id}）措施完成 {r.done}/{r.total}，逾期 {r.overdue} 项",
    "- {r.org_name} ({r.region}, {r.case_id}): measures done {r.done}/{r.total}, overdue {r.overdue}",
)


def _pick(pair: Template, lang: Lang) -> str:
    return pair[0] if lang == "zh" else pair[1]


def _when(value: datetime) -> str:
    return local(value).strftime("%Y-%m-%d")


def _heading(kind: str, as_of: datetime, lang: Lang) -> str:
    return _pick(_HEADING, lang).format(title=_pick(TITLES[kind], lang), day=_when(as_of))


def render_digest(lines: list[DigestLine], as_of: datetime, lang: Lang = "zh") -> str:
    out = [_heading("monthly_digest", as_of, lang), ""]
    if not lines:
        out.append(_pick(_NOTHING_DUE, lang))
        return "\n".join(out) + "\n"
    overdue_total = sum(len(line.overdue_measures) for line in lines)
    soon_total = sum(len(line.due_soon) for line in lines)
    out.append(_pick(_DIGEST_TOTALS, lang).format(orgs=len(lines), overdue=overdue_total, soon=soon_total))
    region = None
    for line in lines:
        if line.region != region:
            region = line.region
            out += ["", f"## {region}"]
        parts = []
        if line.overdue_measures:
            parts.append(_pick(_OVERDUE, lang) + ", ".join(line.overdue_measures))
        if line.due_soon:
            item = _pick(_DUE_SOON_ITEM, lang)
            parts.append(_pick(_DUE_SOON, lang) + ", ".join(item.format(m=m, day=_when(d)) for m, d in line.due_soon))
        head = _pick(_DIGEST_LINE, lang).format(org=line.org_name, case=line.case_id)
        out.append(head + "".join(_pick(_PART_SEP, lang) + part for part in parts))
    return "\n".join(out) + "\n"


def render_review(ahead: list[ReviewLine], behind: list[ReviewLine], as_of: datetime, lang: Lang = "zh") -> str:
    out = [_heading("quarterly_review", as_of, lang)]
    for heading, rows in ((_AHEAD, ahead), (_BEHIND, behind)):
        out += ["", f"## {_pick(heading, lang)}"]
        if not rows:
            out.append(_pick(_NONE, lang))
        for row in rows:
            out.append(_pick(_REVIEW_LINE, lang).format(r=row))
    return "\n".join(out) + "\n"
