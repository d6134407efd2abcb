"""Category-standard results (分类标准逐项结果, e.g. 三有一化) for any door: import a file, read a year.

    await import_standards(deps, path, policy)  -> StandardsImported  (audited, all or nothing)

The file is read and checked by ``store.directory_import.parse_standard_file`` (next to the directory
and pairing-unit parsers); this module only orchestrates: read the directory, parse, record the
import, write the results.

The file (CSV, UTF-8 or GB18030, or XLSX first sheet) has one row per organization and year: columns
``编码``/``code``, ``年度``/``year``, then one column per item of the policy's ``designation.standards``,
named by the item's code or its Chinese name. A point item's cell: the points achieved (0 … the
item's points); a veto item's cell: 是/否 (1/0, yes/no) — whether the 一票否决 situation occurred; an
empty cell: not given (a point item then scores 0, a veto item did not occur). An item must belong to the
standard of the organization's domain. Every problem is reported as ``FILE:LINE: FIELD: message``;
nothing is imported then. docs/designation.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from domain.policy import Policy
from service.bootstrap import Deps
from service.directory import ImportRejected
from store.directory import Directory
from store.directory_import import ImportFailed, parse_standard_file
from store.standards import replace_standard_results

__all__ = ["StandardsImported", "import_standards"]


@dataclass(frozen=True)
class StandardsImported:
    file: str
    organizations: int
    rows: int  # item results written
    years: list[int]


async def import_standards(deps: Deps, path: Path, policy: Policy) -> StandardsImported:
    """Import category-standard results from ``path`` (all or nothing, ``ImportRejected`` with every
    problem); recorded first as an audited ``RecordImport`` (what: standards) of the caller."""
    from service.people import record_import
    from store.migrate import upgrade

    with deps.database(create=True) as engine:
        upgrade(engine)
        organizations = {o.code: o.domain for o in Directory(engine).organizations()}
        try:
            parsed = parse_standard_file(path, policy, organizations)
        except ImportFailed as failed:
            raise ImportRejected(path, list(failed.errors)) from None
    codes = sorted({code for year in parsed.values() for code in year})
    await record_import(deps, "standards", path, {"organizations": len(codes), "years": len(parsed)}, codes)
    written = 0
    with deps.database() as engine:
        for year, results in sorted(parsed.items()):
            written += replace_standard_results(engine, year, results)
    return StandardsImported(file=str(path), organizations=len(codes), rows=written, years=sorted(parsed))
