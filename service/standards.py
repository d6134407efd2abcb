"""Category-standard results (分类标准逐项结果, e.g. 三有一化) for any door: import a file, read a year.

    parse_standard_rows(rows, policy, organizations) -> {year: {org_code: {item: value}}}  (or ImportFailed)
    await import_standards(deps, path, policy)         -> StandardsImported  (audited, all or nothing)

The file (CSV, UTF-8 or GB18030, or XLSX first sheet) has one row per organization and year: columns
``编码``/``code``, ``年度``/``year``, then one column per item of the policy's ``designation.standards``,
named by the item's code or its Chinese name. A point item's cell: the points achieved (0 … the
item's points); a veto item's cell: 是/否 (1/0, yes/no) — whether the 一票否决 situation occurred; an
empty cell: not given (a point item then scores 0, a veto item did not occur). An item must belong to the
standard of the organization's domain. Every problem is reported as ``FILE:LINE: FIELD: message``;
nothing is imported then. docs/designation.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.directory import OrgDomain
from domain.policy import Policy
from domain.policy.designation import StandardItem
from service.bootstrap import Deps
from service.directory import ImportRejected
from store.directory import Directory
from store.directory_import import ImportFailed, RowError, _bool, _float, _int, _norm, _text, raw_rows
from store.standards import replace_standard_results

__all__ = ["StandardsImported", "import_standards", "parse_standard_rows"]

_CODE = {_norm(h) for h in ("编码", "code", "组织编码")}
_YEAR = {_norm(h) for h in ("年度", "year")}


@dataclass(frozen=True)
class StandardsImported:
    file: str
    organizations: int
    rows: int  # item results written
    years: list[int]


def parse_standard_rows(
    rows: Iterable[tuple[int, list[Any]]], policy: Policy, organizations: Mapping[str, OrgDomain]
) -> dict[int, dict[str, dict[str, float]]]:
    """The results by year and organization; ``ImportFailed`` with every problem."""
    standards = policy.designation.standards
    if not standards:
        raise ImportFailed([RowError(1, "policy", "the policy has no designation.standards: nothing to import")])
    items: dict[str, tuple[str, StandardItem]] = {}  # normalised header → (standard name, item)
    for standard in standards:
        for item in standard.items:
            items[_norm(item.code)] = (standard.name, item)
            items.setdefault(_norm(item.zh), (standard.name, item))
    errors: list[RowError] = []
    out: dict[int, dict[str, dict[str, float]]] = {}
    iterator = iter(rows)
    try:
        line, header = next(iterator)
    except StopIteration:
        raise ImportFailed([RowError(1, "file", "empty file")]) from None
    columns: list[tuple[int, str, StandardItem] | None] = []
    code_col = year_col = None
    seen: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = _norm(_text(cell))
        if not name:
            columns.append(None)
            continue
        if name in _CODE:
            code_col = index
            columns.append(None)
        elif name in _YEAR:
            year_col = index
            columns.append(None)
        elif name in items:
            standard_name, item = items[name]
            if item.code in seen:
                errors.append(RowError(line, _text(cell), f"item {item.code} has two columns"))
            seen[item.code] = index
            columns.append((index, standard_name, item))
        else:
            known = "、".join(f"{i.code}/{i.zh}" for s in standards for i in s.items)
            errors.append(RowError(line, _text(cell), f"unknown column: not 编码/code, 年度/year or a standard item ({known})"))
            columns.append(None)
    if code_col is None:
        errors.append(RowError(line, "code（编码）", "column missing"))
    if year_col is None:
        errors.append(RowError(line, "year（年度）", "column missing"))
    if errors:
        raise ImportFailed(errors)
    assert code_col is not None and year_col is not None
    where: dict[tuple[str, int], int] = {}
    for line, cells in iterator:
        cells = list(cells) + [None] * (len(header) - len(cells))
        if not any(_text(c) for c in cells):
            continue
        code = _text(cells[code_col])
        if not code:
            errors.append(RowError(line, "code（编码）", "required"))
            continue
        domain = organizations.get(code)
        if domain is None:
            errors.append(RowError(line, "code（编码）", f"{code!r} is not in the organization directory (`pdca org import` first)"))
            continue
        try:
            year = _int(cells[year_col], "a year")
            if not 2000 <= year <= 2100:
                raise ValueError(f"{year} is not a year 2000–2100")
        except ValueError as error:
            errors.append(RowError(line, "year（年度）", str(error)))
            continue
        if (code, year) in where:
            errors.append(RowError(line, "code（编码）", f"{code} {year} already on line {where[(code, year)]}"))
            continue
        where[(code, year)] = line
        applies = policy.designation.standard_for(domain)
        values: dict[str, float] = {}
        for column in columns:
            if column is None:
                continue
            index, standard_name, item = column
            cell = cells[index]
            if not _text(cell):
                continue
            field = f"{item.code}（{item.zh}）"
            if applies is None or applies.name != standard_name:
                errors.append(RowError(line, field, f"{code} is a {domain.value} organization: {standard_name} does not apply to it"))
                continue
            try:
                if item.veto:
                    values[item.code] = 1.0 if _bool(cell) else 0.0
                else:
                    value = _float(cell)
                    if not 0 <= value <= item.points:
                        raise ValueError(f"{value:g} is not 0–{item.points:g} points")
                    values[item.code] = value
            except ValueError as error:
                errors.append(RowError(line, field, str(error)))
        out.setdefault(year, {})[code] = values
    if errors:
        raise ImportFailed(errors)
    return out


async def import_standards(deps: Deps, path: Path, policy: Policy) -> StandardsImported:
    """Import category-standard results from ``path`` (all or nothing, ``ImportRejected`` with every
    problem); recorded first as an audited ``RecordImport`` (what: standards) of the caller."""
    from service.people import record_import
    from store.migrate import upgrade

    with deps.database(create=True) as engine:
        upgrade(engine)
        organizations = {o.code: o.domain for o in Directory(engine).organizations()}
        try:
            parsed = parse_standard_rows(raw_rows(path), policy, organizations)
        except ImportFailed as failed:
            raise ImportRejected(path, list(failed.errors)) from None
    codes = sorted({code for year in parsed.values() for code in year})
    await record_import(deps, "standards", path, {"organizations": len(codes), "years": len(parsed)}, codes)
    written = 0
    with deps.database() as engine:
        for year, results in sorted(parsed.items()):
            written += replace_standard_results(engine, year, results)
    return StandardsImported(file=str(path), organizations=len(codes), rows=written, years=sorted(parsed))
