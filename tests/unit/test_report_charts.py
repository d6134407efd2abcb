"""Charts: Chinese only with a font that has the glyphs, never tofu; matplotlib kept out of CLI start-up."""

from __future__ import annotations

import subprocess
import sys
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from reports import charts
from reports.figures import case_figures

AS_OF = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)


def _figures():
    cases = [SimpleNamespace(case_id=f"rect-V{i}-2026", region=r, stage=s, year=2026) for i, (r, s) in enumerate(
        [("城关镇", "implementing"), ("城关镇", "closed"), ("青山镇", "planning"), ("Eastville", "checking")]
    )]
    measures = [
        SimpleNamespace(
            case_id="rect-V0-2026", measure_id="M1", deadline=AS_OF - timedelta(days=1), done=True, completed_at=AS_OF - timedelta(days=2)
        )
    ]
    return case_figures(cases, AS_OF, measures)


def test_a_font_without_chinese_glyphs_is_not_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    dejavu = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    assert dejavu.is_file()
    assert charts._has_glyphs(str(dejavu)) is False
    monkeypatch.setenv("PDCA_REPORT_FONT", str(dejavu))
    charts.find_cjk_font.cache_clear()
    try:
        found = charts.find_cjk_font()
        assert found is None or charts._has_glyphs_by_name(found)
    finally:
        charts.find_cjk_font.cache_clear()


def test_charts_never_draw_missing_glyphs(tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = charts.render_charts(_figures(), tmp_path, "t", "zh")
    assert not [w for w in caught if "missing from" in str(w.message)], [str(w.message) for w in caught]
    assert sorted(result.files) == ["on_time", "stages", "townships"]
    assert all(p.is_file() and p.stat().st_size > 1000 for p in result.files.values())
    if result.chinese:
        assert result.font and result.region_key == {}
    else:  # Chinese township names become T1, T2, …; ASCII names would have stayed
        assert result.region_key == {"T1": "Eastville", "T2": "城关镇", "T3": "青山镇"}


@pytest.mark.skipif(charts.find_cjk_font() is None, reason="no CJK font installed (fc-list :lang=zh is empty)")
def test_with_a_cjk_font_the_charts_are_in_chinese(tmp_path: Path) -> None:
    result = charts.render_charts(_figures(), tmp_path, "t", "zh")
    assert result.chinese and result.region_key == {}


def test_cli_start_up_does_not_import_matplotlib_or_openpyxl() -> None:
    code = (
        "import sys, cli.main; bad = [m for m in ('matplotlib', 'openpyxl', 'reports.charts') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
