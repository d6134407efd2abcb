"""The half-year bulletin (半年通报) and the year-end summary (年终总结) as Markdown and HTML, with charts.

One document model (headings, paragraphs, tables, images) is rendered twice, so the Markdown and the
HTML always say the same thing. The HTML is one self-contained file (inline CSS) that references its
PNG charts by relative file name, in the same directory: copy the directory, not just the file.
"""

from __future__ import annotations

import html
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from domain.rating.figures import rating_figures
from domain.timeutil import SHANGHAI
from i18n import enum_label, label
from reports.figures import (
    RATINGS,
    SANCTION_RUNGS,
    CaseFigures,
    ProjectFigures,
    case_figures,
    project_figures,
)
from reports.gather import ReportData

Kind = Literal["bulletin", "summary"]

# ----------------------------------------------------------------------------- document model


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Para:
    text: str


@dataclass
class TableBlock:
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Image:
    alt: str
    src: str  # relative file name


@dataclass
class Bullets:
    items: list[str]


Block = Heading | Para | TableBlock | Image | Bullets


@dataclass
class ReportFiles:
    kind: str
    markdown: Path
    html: Path
    charts: list[Path]
    figures: CaseFigures
    projects: ProjectFigures
    notes: list[str] = field(default_factory=list)
    chinese_charts: bool = False


# ----------------------------------------------------------------------------- helpers


def default_as_of(kind: Kind, year: int, now: datetime) -> datetime:
    """The moment a report counts up to when none is given (Beijing time).

    While ``year`` runs (or has not begun), both count up to ``now``: a bulletin asked for in November
    covers the half-year in progress up to that moment, not 30 June. For a year that has ended: the
    bulletin up to the end of 30 June (the half-year bulletin as it was due), the summary up to the end
    of 31 December."""
    now = now.astimezone(UTC)
    year_end = datetime(year + 1, 1, 1, tzinfo=SHANGHAI).astimezone(UTC)
    if now < year_end:
        return now
    return datetime(year, 7, 1, tzinfo=SHANGHAI).astimezone(UTC) if kind == "bulletin" else year_end


def end_of_day(day: Any) -> datetime:
    """A date as-of means the end of that day in Beijing."""
    return (datetime(day.year, day.month, day.day, tzinfo=SHANGHAI) + timedelta(days=1)).astimezone(UTC)


def show_time(value: datetime | None) -> str:
    if value is None:
        return "-"
    local = value.astimezone(SHANGHAI)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return (local - timedelta(days=1)).strftime("%Y-%m-%d") + " 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def percent(value: float | None, lang: str) -> str:
    return label("report.word.rate_na", lang) if value is None else f"{100 * value:.1f}%"


def file_stem(kind: Kind, year: int, region: str | None) -> str:
    stem = f"{kind}-{year}"
    if region:
        stem += "-" + re.sub(r"[\\/:*?\"<>|\s]+", "_", region)
    return stem


def _join(items: list[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(items)


# ----------------------------------------------------------------------------- building the document


def build_document(
    kind: Kind,
    data: ReportData,
    figures: CaseFigures,
    projects: ProjectFigures,
    charts: dict[str, str],
    lang: str,
    generated_at: datetime,
    notes: list[str],
    region_key: dict[str, str],
) -> list[Block]:
    def L(key: str) -> str:
        return label(key, lang)

    colon = "：" if lang == "zh" else ": "
    blocks: list[Block] = [
        Heading(
            1,
            L(f"report.{kind}.title").format(year=data.year)
            + (f"（{data.region}）" if data.region and lang == "zh" else (f" — {data.region}" if data.region else "")),
        )
    ]
    blocks.append(
        Para(
            f"{L('report.as_of')}{colon}{show_time(figures.as_of)}（北京时间）"
            if lang == "zh"
            else f"{L('report.as_of')}{colon}{show_time(figures.as_of)} (Beijing time)"
        )
    )
    blocks.append(
        Para(
            f"{L('report.scope')}{colon}{data.region or L('report.scope.all')}；{L('report.generated')}{colon}{show_time(generated_at)}"
            if lang == "zh"
            else f"{L('report.scope')}{colon}{data.region or L('report.scope.all')}; "
            f"{L('report.generated')}{colon}{show_time(generated_at)}"
        )
    )

    # 1. headline figures
    blocks.append(Heading(2, L("report.section.headline")))
    rows = [
        [L("report.fig.total"), str(figures.total)],
        [L("report.fig.closed"), str(figures.closed)],
        [L("report.fig.measures"), f"{figures.measures_done}/{figures.measures_total}"],
        [L("report.fig.measures_due"), str(figures.measures_due)],
        [
            L("report.fig.on_time_rate"),
            percent(figures.on_time_rate, lang)
            + (
                f"（{figures.measures_on_time}/{figures.measures_due}）"
                if figures.measures_due and lang == "zh"
                else (f" ({figures.measures_on_time}/{figures.measures_due})" if figures.measures_due else "")
            ),
        ],
        [L("report.fig.overdue_cases"), str(figures.overdue_cases)],
        [L("report.fig.overdue_measures"), str(figures.overdue_measures)],
        [L("report.fig.escalations"), str(figures.escalations)],
        [L("report.fig.sanction_proposals"), str(figures.sanction_proposals)],
        [L("report.fig.acceptance_rounds"), str(figures.acceptance_rounds)],
        [L("report.fig.acceptances_passed"), str(figures.acceptances_passed)],
        [L("report.fig.failed_score"), str(figures.failures_by_reason.get("failed_score", 0))],
        [L("report.fig.failed_satisfaction"), str(figures.failures_by_reason.get("failed_satisfaction", 0))],
        [L("report.fig.reworks"), str(figures.reworks)],
        [L("report.fig.executions"), str(figures.executions)],
        [L("report.fig.findings"), str(figures.findings)],
        [L("report.fig.upgraded"), str(figures.upgraded)],
    ]
    if kind == "summary":
        rows.append([L("report.fig.carried_over"), str(figures.carried_over)])
        rows.append([L("report.fig.org_upgrades"), str(len(figures.org_upgrades)) if data.assessments is not None else "-"])
    rows.append([L("report.proj.total"), str(projects.total)])
    blocks.append(TableBlock([L("report.word.metric"), L("report.word.value")], rows))

    # 2. by stage
    blocks.append(Heading(2, L("report.section.stages")))
    stage_rows = [[enum_label("stage", s, lang), str(n)] for s, n in figures.by_stage.items()]
    stage_rows.append([L("report.word.total"), str(figures.total)])
    blocks.append(TableBlock([L("word.stage"), L("report.word.count")], stage_rows))
    blocks.append(Image(L("report.chart.stages"), charts["stages"]))

    # 3. by township
    blocks.append(Heading(2, L("report.section.townships")))
    stages = list(figures.by_stage)
    township_rows = []
    for region, counts in figures.by_region.items():
        township_rows.append([region or "-"] + [str(counts.get(s, 0)) for s in stages] + [str(sum(counts.values()))])
    blocks.append(TableBlock([L("word.region")] + [enum_label("stage", s, lang) for s in stages] + [L("report.word.total")], township_rows))
    blocks.append(Image(L("report.chart.townships"), charts["townships"]))
    if region_key:
        blocks.append(Para(L("report.word.key") + colon + _join([f"{k} = {v}" for k, v in region_key.items()], lang)))

    # 4. on time
    blocks.append(Heading(2, L("report.section.on_time")))
    on_time_rows = [
        [region or "-", str(r.due), str(r.on_time), percent(r.rate, lang)] for region, r in figures.on_time_by_region.items()
    ]
    on_time_rows.append(
        [L("report.word.total"), str(figures.measures_due), str(figures.measures_on_time), percent(figures.on_time_rate, lang)]
    )
    blocks.append(
        TableBlock([L("word.region"), L("report.fig.measures_due"), L("report.word.on_time"), L("report.fig.on_time_rate")], on_time_rows)
    )
    blocks.append(Image(L("report.chart.on_time"), charts["on_time"]))

    # 5. acceptance rounds, failures by reason, reworks — per township and in total
    blocks.append(Heading(2, L("report.section.acceptance")))
    acceptance_head = [
        L("word.region"), L("report.fig.acceptance_rounds"), L("report.fig.acceptances_passed"), L("report.fig.failed_score"),
        L("report.fig.failed_satisfaction"), L("report.fig.reworks"), L("report.fig.cases_reworked"),
    ]
    acceptance_rows = [
        [region or "-", *map(str, (a.rounds, a.passed, a.failed_score, a.failed_satisfaction, a.reworks, a.cases_reworked))]
        for region, a in figures.acceptance_by_region.items()
    ]
    acceptance_rows.append(
        [
            L("report.word.total"), str(figures.acceptance_rounds), str(figures.acceptances_passed),
            str(figures.failures_by_reason.get("failed_score", 0)), str(figures.failures_by_reason.get("failed_satisfaction", 0)),
            str(figures.reworks), str(figures.cases_reworked),
        ]
    )
    blocks.append(TableBlock(acceptance_head, acceptance_rows))

    # 6. overdue organizations, named
    blocks.append(Heading(2, L("report.section.overdue")))
    if figures.overdue_orgs:
        blocks.append(
            TableBlock(
                [
                    L("word.org"),
                    L("word.region"),
                    L("word.case"),
                    L("report.fig.overdue_measures"),
                    L("report.word.earliest"),
                    L("report.word.escalated"),
                ],
                [
                    [
                        o.org_name or o.org_code,
                        o.region,
                        o.case_id,
                        str(o.overdue_measures),
                        show_time(o.earliest_deadline),
                        _join([enum_label("rung", r, lang) for r in o.escalations], lang) or "-",
                    ]
                    for o in figures.overdue_orgs
                ],
            )
        )
    else:
        blocks.append(Para(L("report.word.none")))

    # 7. escalations and sanction proposals
    blocks.append(Heading(2, L("report.section.escalations")))
    if figures.escalations_by_rung:
        blocks.append(
            TableBlock(
                [L("report.word.rung"), L("report.word.count"), L("report.word.sanction")],
                [
                    [enum_label("rung", r, lang), str(n), L("word.yes") if r in SANCTION_RUNGS else L("word.no")]
                    for r, n in figures.escalations_by_rung.items()
                ],
            )
        )
    else:
        blocks.append(Para(L("report.word.none")))

    # adjustments carried out and findings taken in (when any)
    _executions_and_findings(blocks, data, lang)

    # secretary projects
    blocks.append(Heading(2, L("report.section.projects")))
    if projects.total:
        ratings = "/".join(str(projects.ratings.get(r, 0)) for r in RATINGS)
        blocks.append(
            TableBlock(
                [L("report.word.metric"), L("report.word.value")],
                [
                    [L("report.proj.total"), str(projects.total)],
                    [L("report.proj.by_level"), _join([f"{label('level.' + k, lang)} {n}" for k, n in projects.by_level.items()], lang)],
                    [L("report.proj.by_stage"), _join([f"{label('pstage.' + k, lang)} {n}" for k, n in projects.by_stage.items()], lang)],
                    [L("report.proj.ratings"), ratings],
                    [L("report.proj.milestones"), f"{projects.milestones_done}/{projects.milestones_total}"],
                    [L("report.proj.overdue_milestones"), str(projects.overdue_milestones)],
                    [L("report.proj.urges"), str(projects.urges_sent)],
                    [L("report.proj.revisions"), str(projects.revision_rounds)],
                    [L("report.proj.promoted"), str(projects.models_promoted)],
                ],
            )
        )
        if projects.promoted_projects:
            blocks.append(
                Para(
                    L("report.proj.promoted")
                    + colon
                    + _join(
                        [
                            f"{p['org_name'] or p['org_code']}（{p['project_id']}）"
                            if lang == "zh"
                            else f"{p['org_name'] or p['org_code']} ({p['project_id']})"
                            for p in projects.promoted_projects
                        ],
                        lang,
                    )
                )
            )
        if projects.poor_projects:
            blocks.append(
                Para(
                    L("report.proj.poor")
                    + colon
                    + _join(
                        [
                            f"{p['org_name'] or p['org_code']}（{p['project_id']}）"
                            if lang == "zh"
                            else f"{p['org_name'] or p['org_code']} ({p['project_id']})"
                            for p in projects.poor_projects
                        ],
                        lang,
                    )
                )
            )
    else:
        blocks.append(Para(L("report.proj.none")))

    # carried over (year-end summary)
    if kind == "summary":
        blocks.append(Heading(2, L("report.section.carried_over")))
        if figures.carried_over_cases:
            blocks.append(
                TableBlock(
                    [L("word.org"), L("word.region"), L("word.case"), L("word.stage")],
                    [
                        [c.org_name or c.org_code, c.region, c.case_id, enum_label("stage", c.stage, lang)]
                        for c in figures.carried_over_cases
                    ],
                )
            )
        else:
            blocks.append(Para(L("report.word.none")))

    # upgrades
    blocks.append(Heading(2, L("report.section.upgrades")))
    if figures.upgraded_cases:
        blocks.append(Para(L("report.fig.upgraded") + colon + _join([f"{c.org_name or c.org_code}" for c in figures.upgraded_cases], lang)))
    else:
        blocks.append(Para(L("report.fig.upgraded") + colon + L("report.word.none")))
    if figures.org_upgrades:
        blocks.append(
            TableBlock(
                [L("ledger.org_code"), L("word.year"), L("report.word.star"), L("report.word.class")],
                [
                    [
                        u.org_code, str(u.year),
                        f"{u.star_before if u.star_before is not None else '-'} → {u.star_after if u.star_after is not None else '-'}",
                        f"{u.class_before if u.class_before is not None else '-'} → {u.class_after if u.class_after is not None else '-'}",
                    ]
                    for u in figures.org_upgrades
                ],
            )
        )

    _ratings(blocks, data, lang)
    _number_sections(blocks, lang)
    blocks.append(Heading(2, L("report.section.notes")))
    blocks.append(Bullets([L("report.note.definitions")] + notes))
    return blocks


def _ratings(blocks: list[Block], data: ReportData, lang: str) -> None:
    """评星定级: the year's ratings per township (a section only when the year has ratings): decided of
    opened, the count at each level, 三星以上, 升星 / 降星 against last year's level, 年中降星, 晋位升级."""
    if not data.ratings:
        return

    def L(key: str) -> str:
        return label(key, lang)

    figures = rating_figures(data.year, data.ratings, data.region)
    blocks.append(Heading(2, L("report.section.ratings")))
    county = figures.county
    blocks.append(
        Para(
            L("report.rating.summary").format(
                rated=county.rated, total=county.total, three=county.three_and_up, up=county.up, down=county.down,
                downgraded=county.downgraded, five=county.by_level[5],
            )
        )
    )  # fmt: skip
    head = [L("word.region"), L("report.rating.rated"), "★★★★★", "★★★★", "★★★", "★★", "★", L("report.rating.three"),
            L("report.rating.up"), L("report.rating.down"), L("report.rating.downgraded"), L("report.rating.upgrades")]  # fmt: skip
    rows = [
        [m.region or L("report.rating.county"), f"{m.rated}/{m.total}", *(str(m.by_level[s]) for s in (5, 4, 3, 2, 1)), str(m.three_and_up),
         str(m.up), str(m.down), str(m.downgraded), f"{m.upgrades_made}/{m.upgrades_proposed}"]
        for m in [*figures.townships, figures.county]
    ]  # fmt: skip
    blocks.append(TableBlock(head, rows))


def _executions_and_findings(blocks: list[Block], data: ReportData, lang: str) -> None:
    """The adjustments carried out (组织调整 / 诫勉谈话 executed) and the inspection findings taken into
    cases, named, each a section only when there is one (as of the report's date)."""

    def L(key: str) -> str:
        return label(key, lang)

    cases = {c.case_id: c for c in data.cases}

    def org(case_id: str) -> tuple[str, str]:
        case = cases.get(case_id)
        return (case.org_name or case.org_code, case.region) if case is not None else (case_id, "")

    if data.executions:
        blocks.append(Heading(2, L("report.section.executions")))
        rows = []
        for e in data.executions:
            name, region = org(e.case_id)
            secretaries = f"{e.previous_secretary or '-'} → {e.new_secretary}" if e.new_secretary else "-"
            when = str(e.executed_on) if e.executed_on else show_time(e.at)
            rows.append([name, region, e.case_id, enum_label("rung", e.rung, lang), e.action or "-", when, secretaries])
        blocks.append(
            TableBlock(
                [L("word.org"), L("word.region"), L("word.case"), L("ledger.rung"), L("report.word.action"),
                 L("report.word.executed_on"), L("report.word.new_secretary")],
                rows,
            )
        )
    if data.findings:
        blocks.append(Heading(2, L("report.section.findings")))
        counted: dict[tuple[str, str], int] = {}
        for f in data.findings:
            counted[(f.source, f.case_id)] = counted.get((f.source, f.case_id), 0) + 1
        rows = [[source or "-", *org(case_id), case_id, str(n)] for (source, case_id), n in sorted(counted.items())]
        head = [L("report.word.source"), L("word.org"), L("word.region"), L("word.case"), L("report.word.findings")]
        blocks.append(TableBlock(head, rows))


_ZH_DIGITS = "一二三四五六七八九"


def zh_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (1–99)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _ZH_DIGITS[tens - 1] + "十")
    return head + (_ZH_DIGITS[ones - 1] if ones else "")


def _number_sections(blocks: list[Block], lang: str) -> None:
    """一、二、… (1. 2. …) in order, whichever sections the report has."""
    sections = [b for b in blocks if isinstance(b, Heading) and b.level == 2]
    for i, heading in enumerate(sections, start=1):
        heading.text = f"{zh_numeral(i)}、{heading.text}" if lang == "zh" and i < 100 else f"{i}. {heading.text}"


# ----------------------------------------------------------------------------- Markdown and HTML


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append("#" * b.level + " " + b.text)
        elif isinstance(b, Para):
            out.append(b.text)
        elif isinstance(b, TableBlock):
            lines = ["| " + " | ".join(_md_cell(h) for h in b.headers) + " |", "|" + "|".join("---" for _ in b.headers) + "|"]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows]
            out.append("\n".join(lines))
        elif isinstance(b, Image):
            out.append(f"![{b.alt}]({b.src})")
        elif isinstance(b, Bullets):
            out.append("\n".join(f"- {item}" for item in b.items))
    return "\n\n".join(out) + "\n"


_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC","WenQuanYi Micro Hei",sans-serif;
max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.6}
h1{font-size:1.6rem;border-bottom:3px solid #c62828;padding-bottom:.4rem}
h2{font-size:1.2rem;margin-top:2rem;color:#b71c1c}
table{border-collapse:collapse;margin:.6rem 0}
th,td{border:1px solid #bbb;padding:.25rem .6rem;text-align:left}
th{background:#f5f5f5}
img{max-width:100%;display:block;margin:.8rem 0}
"""


def to_html(blocks: list[Block], lang: str) -> str:
    e = html.escape
    title = next((b.text for b in blocks if isinstance(b, Heading)), "")
    body: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            body.append(f"<h{b.level}>{e(b.text)}</h{b.level}>")
        elif isinstance(b, Para):
            body.append(f"<p>{e(b.text)}</p>")
        elif isinstance(b, TableBlock):
            head = "".join(f"<th>{e(h)}</th>" for h in b.headers)
            rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in b.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif isinstance(b, Image):
            body.append(f'<img src="{e(b.src)}" alt="{e(b.alt)}">')
        elif isinstance(b, Bullets):
            body.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in b.items) + "</ul>")
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


# ----------------------------------------------------------------------------- the whole report


def write_report(
    kind: Kind,
    data: ReportData,
    out_dir: Path,
    lang: str = "zh",
    generated_at: datetime | None = None,
    warn: bool = True,
) -> ReportFiles:
    """Compute the figures from ``data``, draw the charts, write ``{stem}.md`` and ``{stem}.html`` into ``out_dir``."""
    from reports.charts import render_charts

    figures = case_figures(data.cases, data.as_of, data.measures, data.assessments, year=data.year, region=data.region)
    projects = project_figures(data.projects, data.as_of, year=data.year, region=data.region)
    stem = file_stem(kind, data.year, data.region)
    out_dir.mkdir(parents=True, exist_ok=True)
    chart_set = render_charts(figures, out_dir, stem, lang)
    notes: list[str] = []
    if lang == "zh" and not chart_set.chinese:
        notes.append(label("report.note.no_cjk", lang))
        if warn:
            print(
                "warning: no CJK font found (fc-list :lang=zh is empty): charts are labelled in English; "
                "install fonts-noto-cjk or fonts-wqy-microhei for Chinese labels",
                file=sys.stderr,
            )
    if not data.projects_available:
        notes.append(label("report.note.no_projects", lang))
    if kind == "summary" and data.assessments is None:
        notes.append(label("report.note.no_directory", lang))
    blocks = build_document(
        kind, data, figures, projects, {k: p.name for k, p in chart_set.files.items()}, lang,
        generated_at or datetime.now(UTC), notes, chart_set.region_key,
    )
    markdown = out_dir / f"{stem}.md"
    page = out_dir / f"{stem}.html"
    markdown.write_text(to_markdown(blocks), encoding="utf-8")
    page.write_text(to_html(blocks, lang), encoding="utf-8")
    return ReportFiles(kind, markdown, page, list(chart_set.files.values()), figures, projects, notes, chart_set.chinese)


def report_from_database(
    engine: Any,
    kind: Kind,
    year: int,
    out_dir: Path,
    as_of: datetime | None = None,
    region: str | None = None,
    lang: str = "zh",
    warn: bool = True,
) -> ReportFiles:
    """Gather from the audit database and write the report: what `pdca report bulletin|summary` does.

    ``as_of`` defaults to ``default_as_of`` (now while the year runs); a caller with its own clock (the
    demo on the time-skipping server, the cadence) passes it.
    """
    from reports.gather import gather

    moment = as_of or default_as_of(kind, year, datetime.now(UTC))
    return write_report(kind, gather(engine, year, moment, region), out_dir, lang, warn=warn)
