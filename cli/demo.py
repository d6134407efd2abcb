"""The screen of `pdca demo`: the closing note of the year. The scenario itself is service/demo.py; its
timeline is printed line by line as it runs (``say``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from service.demo import DemoResult


def say(line: str) -> None:
    """One line of the timeline, at once (the demo runs for a while)."""
    print(line, flush=True)


def print_result(result: DemoResult, lang: str = "zh") -> None:
    """The closing note: what the year measured, where its files are."""
    zh = lang == "zh"
    levels = sorted(result.star_levels.items(), reverse=True)
    lines = [
        "",
        "══ 演示完成 demo finished ══" if zh else "══ demo finished ══",
        (
            f"{result.year}年度：{result.organizations} 个党组织，认定 {result.designated} 个，"
            f"启动整顿案件（子工作流）{result.children_started} 个，书记项目 {result.projects} 个"
            if zh
            else f"{result.year}: {result.organizations} organizations, {result.designated} designated, "
            f"{result.children_started} case workflows started as children, {result.projects} secretary projects"
        ),
        (
            f"评星定级 {result.rated} 个：" + "，".join(f"{s}星 {n}" for s, n in levels)
            if zh
            else f"star ratings decided: {result.rated} (" + ", ".join(f"{s}★ {n}" for s, n in levels) + ")"
        ),
        (
            f"审计事件 {result.audit_events} 条，通知 {result.notices} 条；用时 {result.seconds:.1f} 秒"
            if zh
            else f"{result.audit_events} audit events, {result.notices} notices; took {result.seconds:.1f} s"
        ),
        (f"审计库：{result.out_dir / 'audit.db'}" if zh else f"audit database: {result.out_dir / 'audit.db'}"),
    ]
    lines += [("报告：" if zh else "report: ") + str(path) for path in result.reports if path.suffix in {".md", ".html"}]
    charts = [path for path in result.reports if path.suffix == ".png"]
    if charts:
        lines.append(("图表：" if zh else "charts: ") + ", ".join(str(p) for p in charts))
    for warning in result.warnings:
        lines.append(("⚠ " if zh else "warning: ") + warning)
    print("\n".join(lines), flush=True)
