"""Output to a pipe (not a terminal) is never cut or wrapped to a width: each table row is one whole line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rich.table import Table

ROOT = Path(__file__).resolve().parents[2]


def test_a_table_in_a_narrow_pipe_keeps_every_cell_whole() -> None:
    # a calendar table needs no server; COLUMNS (a terminal's width) does not apply to a pipe
    line = [sys.executable, "-m", "cli.main", "calendar", "show", "2026"]
    done = subprocess.run(line, capture_output=True, text=True, env={**os.environ, "COLUMNS": "30"}, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert any("2026-01-04 │ 周日 │ 调休上班" in row for row in done.stdout.splitlines()), done.stdout[:600]
    assert "…" not in done.stdout


def test_the_shared_console_is_wide_off_a_terminal(capsys) -> None:  # type: ignore[no-untyped-def]
    from cli.render import PIPE_WIDTH, console, console_width

    assert console_width() == PIPE_WIDTH  # pytest's stdout is not a terminal
    table = Table()
    for name in ("case", "organization", "project", "region", "stage", "progress", "overdue", "next due", "leader"):
        table.add_column(name)
    ids = ("rect-V001-2027", "城关镇东村党支部委员会（第二党支部）", "proj-committee_member-V001-2027-zhang.san")
    table.add_row(*ids, "城关镇", "implementing", "3/5", "yes (2)", "2027-06-30 18:00", "张三、李四、王五")
    console.print(table)
    out = capsys.readouterr().out
    assert all(any(value in row for row in out.splitlines()) for value in ids), out
