"""Charts as PNG files, with matplotlib's Agg backend (imported here only, never at CLI start-up).

Chinese labels need a CJK font. ``find_cjk_font`` looks through matplotlib's font manager for one
that really has the glyphs (Noto Sans/Serif CJK, Source Han, WenQuanYi, SimHei, Microsoft YaHei,
PingFang, Droid Sans Fallback, AR PL …), or takes a font file from ``PDCA_REPORT_FONT``. Without one,
charts are labelled in English and townships with Chinese names become T1, T2, … (the report's
tables give the key), so no chart ever shows tofu boxes; the caller says so in the report and on stderr.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from reports.figures import STAGE_ORDER, CaseFigures
from settings import get_settings

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans CJK", "Noto Serif CJK SC", "Source Han Sans SC", "Source Han Sans CN",
    "Source Han Serif SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei",
    "PingFang SC", "Heiti SC", "STHeiti", "Droid Sans Fallback", "AR PL UMing CN", "AR PL UKai CN", "Noto Sans SC",
)
_PROBE = "党组织整顿乡镇"
STAGE_COLORS = {
    "new": "#bdbdbd", "designated": "#9e9e9e", "planning": "#ffb74d", "implementing": "#e57373",
    "checking": "#64b5f6", "consolidating": "#81c784", "closed": "#2e7d32",
}


@dataclass
class ChartSet:
    files: dict[str, Path] = field(default_factory=dict)  # chart name -> PNG path
    font: str | None = None  # the CJK font family used, or None
    chinese: bool = False  # labels in Chinese
    region_key: dict[str, str] = field(default_factory=dict)  # chart label -> township name, when abbreviated


def _has_glyphs(path: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(path)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(ch)) for ch in _PROBE)


def _has_glyphs_by_name(family: str) -> bool:
    from matplotlib import font_manager

    return any(_has_glyphs(e.fname) for e in font_manager.fontManager.ttflist if e.name == family)


@functools.cache
def find_cjk_font() -> str | None:
    """The family name of an installed font that can draw Chinese, or None."""
    from matplotlib import font_manager

    font = get_settings().report_font
    custom = str(font) if font else None
    if custom and Path(custom).is_file() and _has_glyphs(custom):
        font_manager.fontManager.addfont(custom)
        return font_manager.FontProperties(fname=custom).get_name()
    entries = font_manager.fontManager.ttflist
    by_name: dict[str, list[str]] = {}
    for entry in entries:
        by_name.setdefault(entry.name, []).append(entry.fname)
    for family in CJK_FAMILIES:
        for path in by_name.get(family, []):
            if _has_glyphs(path):
                return family
    for name, paths in sorted(by_name.items()):  # any other font that has the glyphs
        cjk_name = any(word in name for word in ("CJK", "Han", "Hei", "Song", "Ming", "Kai", "WenQuanYi", "Fallback"))
        if cjk_name and any(_has_glyphs(p) for p in paths):
            return name
    return None


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _label_regions(regions: Sequence[str], chinese: bool) -> tuple[list[str], dict[str, str]]:
    if chinese or all(r.isascii() for r in regions):
        return list(regions), {}
    labels = [f"T{i}" for i in range(1, len(regions) + 1)]
    return labels, dict(zip(labels, regions, strict=True))


def render_charts(figures: CaseFigures, out_dir: Path, stem: str, lang: str = "zh") -> ChartSet:
    """Write ``{stem}-stages.png``, ``{stem}-townships.png`` and ``{stem}-on-time.png`` into ``out_dir``."""
    from i18n import enum_label, label

    plt = _pyplot()
    font = find_cjk_font()
    chinese = lang == "zh" and font is not None
    charts = ChartSet(font=font, chinese=chinese)
    rc = {"font.family": "sans-serif", "font.sans-serif": [font, "DejaVu Sans"] if font else ["DejaVu Sans"], "axes.unicode_minus": False}

    def stage_name(stage: str) -> str:
        return enum_label("stage", stage, "zh" if chinese else "en")

    def text(key: str) -> str:
        return label(key, "zh" if chinese else "en")

    out_dir.mkdir(parents=True, exist_ok=True)
    stages = [s for s in STAGE_ORDER if figures.by_stage.get(s)] + [s for s in figures.by_stage if s not in STAGE_ORDER]
    regions = list(figures.by_region)
    region_labels, charts.region_key = _label_regions(regions, chinese)

    with plt.rc_context(rc):
        # 1. progress by stage
        fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
        counts = [figures.by_stage.get(s, 0) for s in stages]
        bars = ax.bar([stage_name(s) for s in stages], counts, color=[STAGE_COLORS.get(s, "#90a4ae") for s in stages])
        ax.bar_label(bars)
        ax.set_title(text("report.chart.stages"))
        ax.set_ylabel(text("report.chart.cases"))
        if not stages:
            ax.text(0.5, 0.5, text("report.chart.no_cases"), ha="center", va="center", transform=ax.transAxes)
        ax.yaxis.get_major_locator().set_params(integer=True)
        fig.tight_layout()
        charts.files["stages"] = _save(plt, fig, out_dir / f"{stem}-stages.png")

        # 2. progress by township, stacked by stage
        fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(regions) + 3), 4.5), dpi=110)
        bottom = [0] * len(regions)
        for s in stages:
            values = [figures.by_region[r].get(s, 0) for r in regions]
            ax.bar(region_labels, values, bottom=bottom, label=stage_name(s), color=STAGE_COLORS.get(s, "#90a4ae"))
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_title(text("report.chart.townships"))
        ax.set_ylabel(text("report.chart.cases"))
        if stages:
            ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
        else:
            ax.text(0.5, 0.5, text("report.chart.no_cases"), ha="center", va="center", transform=ax.transAxes)
        ax.yaxis.get_major_locator().set_params(integer=True)
        fig.tight_layout()
        charts.files["townships"] = _save(plt, fig, out_dir / f"{stem}-townships.png")

        # 3. on-time rate, overall and by township
        rated = [(r, v) for r, v in figures.on_time_by_region.items() if v.due]
        names = [text("report.chart.overall")] + [region_labels[regions.index(r)] if r in regions else r for r, _ in rated]
        rates = [figures.on_time_rate] + [v.rate for _, v in rated]
        fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(names) + 2), 4), dpi=110)
        if figures.on_time_rate is None:
            ax.text(0.5, 0.5, text("report.chart.no_deadlines"), ha="center", va="center", transform=ax.transAxes)
            ax.set_ylim(0, 100)
        else:
            percents = [100 * (v or 0) for v in rates]
            bars = ax.bar(names, percents, color=["#1565c0"] + ["#64b5f6"] * len(rated))
            ax.bar_label(bars, labels=[f"{p:.0f}%" for p in percents])
            ax.set_ylim(0, 110)
        ax.set_title(text("report.chart.on_time"))
        ax.set_ylabel("%")
        fig.tight_layout()
        charts.files["on_time"] = _save(plt, fig, out_dir / f"{stem}-on-time.png")
    return charts


def _save(plt: ModuleType, fig: Figure, path: Path) -> Path:
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
