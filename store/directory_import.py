"""Read an organization directory from CSV or XLSX; validate every row before anything is stored.

One row per organization per year (a row without a year describes the organization only). The
organization's attributes (name, level, domain, parent, region, leader, flags, secretary vacancy) are
taken from its row with the latest year; ``secretary`` is per row: the secretary in that year. Headers
in Chinese or English (see ``HEADERS``); values in Chinese or English (党支部/branch, 农村/village, …).

``parse_file(path, known_codes)`` returns a ``ParsedDirectory`` or raises ``ImportFailed`` carrying
every bad row as (line, field, message): line 1 is the header; the first data row is line 2 (CSV: the
physical line where the record starts; XLSX: the sheet's row number).

The same reading serves the other directory files: pairing units (``parse_pairing_file``,
docs/pairing.md) and category-standard results (``parse_standard_file``, docs/designation.md). Each
finds its header row and columns with ``read_columns`` and reports every problem, nothing stored then.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from domain.directory import (
    AcceptanceResult,
    Assessment,
    Organization,
    OrgDomain,
    Pairing,
    parse_acceptance,
    parse_class,
    parse_domain,
    parse_level,
    parse_pairing_kind,
)
from domain.policy import Policy
from domain.policy.designation import StandardItem
from settings.errors import InputError
from settings.files import check_size
from store.directory import ParsedDirectory, YearRecord

# canonical field -> accepted header spellings (compared case-insensitively, spaces and _ ignored)
HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("编码", "组织编码", "代码", "code", "org_code"),
    "name": ("名称", "组织名称", "党组织名称", "name", "org_name"),
    "level": ("层级", "组织层级", "level"),
    "domain": ("领域", "所属领域", "domain"),
    "parent": ("上级", "上级组织", "上级党组织", "parent"),
    "region": ("乡镇", "乡镇街道", "乡镇（街道）", "region", "township"),
    "secretary": ("书记", "党组织书记", "secretary"),
    "secretary_vacant_since": ("书记缺职起始", "书记缺职日期", "缺职起始", "secretary_vacant_since"),
    "leader": ("包联领导", "联系领导", "leader"),
    "flags": ("部门标记", "标记", "flags"),
    "year": ("年度", "年份", "year"),
    "score": ("考核得分", "得分", "score"),
    "rank": ("排名", "考核排名", "rank"),
    "star": ("星级", "star", "stars"),
    "class": ("类别", "分类", "class", "org_class"),
    "designated": ("被认定", "是否认定", "认定", "designated"),
    "acceptance": ("验收结果", "验收", "acceptance"),
    "failed_acceptances": ("验收不合格次数", "不合格次数", "failed_acceptances"),
    "project_rating": ("书记项目评价", "项目评价", "project_rating"),
}
REQUIRED = ("code", "name", "level", "domain", "region")
FLAG_SEPARATORS = re.compile(r"[、;；,，|/]")
_TRUE = {"是", "y", "yes", "true", "1", "已认定", "认定"}
_FALSE = {"否", "n", "no", "false", "0", "未认定", ""}
_RATINGS = {"good": "good", "好": "good", "优秀": "good", "medium": "medium", "中": "medium", "一般": "medium",
            "较好": "medium", "poor": "poor", "差": "poor", "较差": "poor"}


def _norm(header: str) -> str:
    return re.sub(r"[\s_（）()]", "", str(header)).lower()


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def render(self, source: str) -> str:
        return f"{source}:{self.line}: {self.field}: {self.message}"


class ImportFailed(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s); nothing imported")
        self.errors = errors


# ---------------------------------------------------------------------------- reading raw rows


def _csv_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ImportFailed([RowError(1, "file", "not UTF-8 or GB18030 text")])
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    for row in reader:
        yield start, row
        start = reader.line_num + 1


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001  (openpyxl raises many kinds for a bad file)
        raise ImportFailed([RowError(1, "file", f"not a readable XLSX workbook ({type(error).__name__}: {error})")]) from None
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(row)
    finally:
        workbook.close()


def raw_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path)
    if suffix in (".csv", ".txt"):
        return _csv_rows(path)
    raise ImportFailed([RowError(1, "file", f"unknown file type {suffix!r}: use .csv or .xlsx")])


def checked_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    """``raw_rows`` of a file that exists and is not too big (checked before parsing: openpyxl and the
    csv reader hold the whole file)."""
    if not path.exists():
        raise ImportFailed([RowError(0, "file", f"{path} does not exist")])
    try:
        check_size(path)
    except InputError as error:
        raise ImportFailed([RowError(0, "file", error.message.removeprefix(f"{path}: "))]) from None
    return raw_rows(path)


def read_columns(
    rows: Iterable[tuple[int, list[Any]]], headers: Mapping[str, Sequence[str]], required: Sequence[str], unknown: str
) -> tuple[int, dict[int, str], Iterator[tuple[int, list[Any]]]]:
    """The header row (the first row with a value) of a file whose columns are named by ``headers``
    (canonical field -> accepted spellings, compared case-insensitively, spaces, ``_`` and brackets
    ignored; the first field naming a spelling wins): its line, each column's canonical field by index,
    and the data rows after it. ``ImportFailed`` with every header problem: an unknown column
    (``unknown`` is the message), a field given twice, a ``required`` field missing."""
    lookup: dict[str, str] = {}
    for field, aliases in headers.items():
        for alias in aliases:
            lookup.setdefault(_norm(alias), field)
    iterator = iter(rows)
    header_row: list[Any] | None = None
    for line, cells in iterator:
        if any(_text(c) for c in cells):
            header_line, header_row = line, cells
            break
    if header_row is None:
        raise ImportFailed([RowError(1, "file", "the file is empty: expected a header row")])
    errors: list[RowError] = []
    columns: dict[int, str] = {}
    for index, header in enumerate(header_row):
        name = _text(header)
        if not name:
            continue
        canonical = lookup.get(_norm(name))
        if canonical is None:
            errors.append(RowError(header_line, name, unknown))
        elif canonical in columns.values():
            errors.append(RowError(header_line, name, f"column {canonical} given twice"))
        else:
            columns[index] = canonical
    for field in required:
        if field not in columns.values():
            spellings = headers[field]
            errors.append(RowError(header_line, field, f"missing column ({spellings[0]} / {field})"))
    if errors:
        raise ImportFailed(errors)
    return header_line, columns, iterator


# ---------------------------------------------------------------------------- cell parsing


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not {what}")  # noqa: TRY004  (reported as a cell error)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value).removesuffix("星").removesuffix("年")
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(f"{_text(value)!r} is not {what}")
    return int(text)


def _float(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(_text(value))
    except ValueError:
        raise ValueError(f"{_text(value)!r} is not a number") from None


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text)
    if not match:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)")
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError as error:
        raise ValueError(f"{text!r} is not a date ({error})") from None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{_text(value)!r} is not 是/否 (yes/no)")


def _pydantic_message(error: ValidationError) -> tuple[str, str]:
    first = error.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "row"
    message = first["msg"].removeprefix("Value error, ")
    return field, message


# ---------------------------------------------------------------------------- the parser


def parse_rows(rows: Iterable[tuple[int, list[Any]]], known_codes: Iterable[str] = ()) -> ParsedDirectory:
    """Validate every row; return the parsed directory or raise ImportFailed with all problems."""
    header_line, columns, iterator = read_columns(
        rows, HEADERS, REQUIRED, "unknown column (see docs/directory.md for the accepted headers)"
    )
    errors: list[RowError] = []

    # organization code -> (year or -1, line, Organization); last year's row wins
    latest: dict[str, tuple[int, int, Organization]] = {}
    seen: dict[tuple[str, int | None], int] = {}
    years: list[YearRecord] = []
    parents: list[tuple[int, str, str]] = []
    for line, cells in iterator:
        values = {columns[i]: cells[i] for i in columns if i < len(cells)}
        if not any(_text(v) for v in values.values()):
            continue  # blank line
        row_errors: list[RowError] = []

        def get(field: str, values: dict[str, Any] = values) -> str:
            return _text(values.get(field))

        def parsed(
            field: str, parse: Any, values: dict[str, Any] = values, row_errors: list[RowError] = row_errors, line: int = line
        ) -> Any:
            raw = values.get(field)
            if _text(raw) == "":
                return None
            try:
                return parse(raw)
            except ValueError as error:
                row_errors.append(RowError(line, field, str(error)))
                return None

        for required in REQUIRED:
            if not get(required):
                row_errors.append(RowError(line, required, "required"))
        level = parsed("level", parse_level)
        domain = parsed("domain", parse_domain)
        year = parsed("year", lambda v: _int(v, "a year"))
        if year is not None and not 2000 <= year <= 2100:
            row_errors.append(RowError(line, "year", f"{year} is not a year between 2000 and 2100"))
            year = None
        score = parsed("score", _float)
        if score is not None and not 0 <= score <= 100:
            row_errors.append(RowError(line, "score", f"{score:g} is not between 0 and 100"))
        rank = parsed("rank", lambda v: _int(v, "a whole number"))
        if rank is not None and rank < 1:
            row_errors.append(RowError(line, "rank", f"{rank} is not a rank (1 = best)"))
        star = parsed("star", lambda v: _int(v, "a star rating 1–5"))
        if star is not None and not 1 <= star <= 5:
            row_errors.append(RowError(line, "star", f"{star} is not a star rating 1–5"))
        org_class = parsed("class", parse_class)
        vacant = parsed("secretary_vacant_since", _date)
        designated = parsed("designated", _bool)
        acceptance = parsed("acceptance", parse_acceptance)
        failed = parsed("failed_acceptances", lambda v: _int(v, "a count"))
        if failed is not None and failed < 0:
            row_errors.append(RowError(line, "failed_acceptances", f"{failed} is not a count"))
        rating = None
        if get("project_rating"):
            rating = _RATINGS.get(get("project_rating").lower())
            if rating is None:
                row_errors.append(RowError(line, "project_rating", f"{get('project_rating')!r} is not 好/中/差 (good/medium/poor)"))
        year_only = ("score", "rank", "star", "class", "designated", "acceptance", "failed_acceptances", "project_rating")
        if year is None and not any(e.field == "year" for e in row_errors):
            given = [field for field in year_only if get(field)]
            if given:
                row_errors.append(RowError(line, "year", f"required when {given[0]} is given"))
        code = get("code")
        if code:
            key = (code, year)
            if key in seen:
                what = f"year {year}" if year is not None else "(no year)"
                row_errors.append(RowError(line, "code", f"duplicate: {code} {what} already on line {seen[key]}"))
            else:
                seen[key] = line
        flags = [f.strip() for f in FLAG_SEPARATORS.split(get("flags")) if f.strip()]
        org = None
        if not row_errors:
            try:
                org = Organization(
                    code=code, name=get("name"), level=level, domain=domain, parent=get("parent") or None,
                    region=get("region"), secretary=get("secretary") or None,
                    secretary_vacant_since=vacant, leader=get("leader") or None, flags=flags,
                )
            except ValidationError as error:
                field, message = _pydantic_message(error)
                row_errors.append(RowError(line, field, message))
        assessment = None
        if not row_errors and year is not None:
            try:
                assessment = Assessment(org_code=code, year=year, score=score, rank=rank, star=star, org_class=org_class)
            except ValidationError as error:
                field, message = _pydantic_message(error)
                row_errors.append(RowError(line, field, message))
        if row_errors:
            errors.extend(row_errors)
            continue
        assert org is not None
        order = year if year is not None else -1
        if code not in latest or order >= latest[code][0]:
            latest[code] = (order, line, org)
        if org.parent:
            parents.append((line, code, org.parent))
        if assessment is not None:
            years.append(
                YearRecord(
                    assessment=assessment,
                    person=org.secretary,
                    designated=designated,
                    acceptance=acceptance if isinstance(acceptance, AcceptanceResult) else None,
                    failed_acceptances=failed,
                    project_rating=rating,
                )
            )
    known = set(known_codes) | set(latest)
    for line, code, parent in parents:
        if parent == code:
            errors.append(RowError(line, "parent", f"{code} cannot be its own parent"))
        elif parent not in known:
            errors.append(RowError(line, "parent", f"unknown organization {parent} (not in the file nor the directory)"))
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.line))
    if not latest:
        raise ImportFailed([RowError(header_line, "file", "no data rows")])
    return ParsedDirectory(
        organizations=[latest[c][2] for c in sorted(latest)],
        years=sorted(years, key=lambda r: (r.assessment.org_code, r.assessment.year)),
    )


def parse_file(path: Path, known_codes: Iterable[str] = ()) -> ParsedDirectory:
    return parse_rows(checked_rows(path), known_codes)


# ---------------------------------------------------------------------------- pairing units (docs/pairing.md)

# canonical field -> accepted header spellings of a pairing-unit file (one row per unit)
PAIRING_HEADERS: dict[str, tuple[str, ...]] = {
    "unit_code": ("单位编码", "编码", "unit_code", "code"),
    "unit_name": ("单位名称", "名称", "unit_name", "name"),
    "kind": ("类型", "结对类型", "kind"),
    "people": ("人员", "责任人", "成员", "people"),
    "org_codes": ("结对组织", "结对党组织", "联系党组织", "org_codes", "orgs"),
}
PAIRING_REQUIRED = ("unit_code", "unit_name", "kind", "org_codes")


def parse_pairing_rows(
    rows: Iterable[tuple[int, list[Any]]], known_codes: Iterable[str], known_people: Iterable[str] | None = None
) -> list[Pairing]:
    """Validate every row of a pairing-unit file; return the units or raise ImportFailed with all problems.

    Each organization must be in the directory (``known_codes``); each person, when ``known_people``
    is given, in the people directory."""
    header_line, columns, iterator = read_columns(
        rows, PAIRING_HEADERS, PAIRING_REQUIRED, "unknown column (see docs/pairing.md for the accepted headers)"
    )
    errors: list[RowError] = []
    orgs, people = set(known_codes), None if known_people is None else set(known_people)
    seen: dict[str, int] = {}
    units: list[Pairing] = []
    for line, cells in iterator:
        values = {columns[i]: _text(cells[i]) for i in columns if i < len(cells)}
        if not any(values.values()):
            continue
        row_errors: list[RowError] = []
        for required in PAIRING_REQUIRED:
            if not values.get(required):
                row_errors.append(RowError(line, required, "required"))
        kind = None
        if values.get("kind"):
            try:
                kind = parse_pairing_kind(values["kind"])
            except ValueError as error:
                row_errors.append(RowError(line, "kind", str(error)))
        code = values.get("unit_code", "")
        if code in seen:
            row_errors.append(RowError(line, "unit_code", f"duplicate: {code} already on line {seen[code]}"))
        elif code:
            seen[code] = line
        members = [p.strip() for p in FLAG_SEPARATORS.split(values.get("people", "")) if p.strip()]
        codes = [c.strip() for c in FLAG_SEPARATORS.split(values.get("org_codes", "")) if c.strip()]
        unknown = [c for c in codes if c not in orgs]
        if unknown:
            row_errors.append(
                RowError(line, "org_codes", f"unknown organization(s) {', '.join(unknown)} (not in the directory: `pdca org import` first)")
            )
        if people is not None:
            strangers = [p for p in members if p not in people]
            if strangers:
                row_errors.append(
                    RowError(line, "people", f"unknown person(s) {', '.join(strangers)} (not in the people directory: `pdca person add`)")
                )
        if not row_errors:
            try:
                units.append(Pairing(unit_code=code, unit_name=values["unit_name"], kind=kind, people=members, org_codes=codes))
            except ValidationError as error:
                field, message = _pydantic_message(error)
                row_errors.append(RowError(line, field, message))
        errors.extend(row_errors)
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.line))
    if not units:
        raise ImportFailed([RowError(header_line, "file", "no data rows")])
    return units


def parse_pairing_file(path: Path, known_codes: Iterable[str], known_people: Iterable[str] | None = None) -> list[Pairing]:
    return parse_pairing_rows(checked_rows(path), known_codes, known_people)


# ---------------------------------------------------------------------------- category-standard results (docs/designation.md)

# the fixed columns of a category-standard file; the others are the policy's standard items
STANDARD_HEADERS: dict[str, tuple[str, ...]] = {"code": ("编码", "code", "组织编码"), "year": ("年度", "year")}


def parse_standard_rows(
    rows: Iterable[tuple[int, list[Any]]], policy: Policy, organizations: Mapping[str, OrgDomain]
) -> dict[int, dict[str, dict[str, float]]]:
    """Category-standard results (分类标准逐项结果, e.g. 三有一化) by year and organization:
    ``{year: {org_code: {item_code: value}}}``, or ``ImportFailed`` with every problem.

    One row per organization (``organizations``: the directory's, code -> domain) and year; then one
    column per item of the policy's ``designation.standards``, named by the item's code or its Chinese
    name. A point item's cell: the points achieved (0 … the item's points); a veto item's cell: 是/否
    — whether the 一票否决 situation occurred; an empty cell: not given. An item must belong to the
    standard of the organization's domain."""
    standards = policy.designation.standards
    if not standards:
        raise ImportFailed([RowError(1, "policy", "the policy has no designation.standards: nothing to import")])
    items: dict[str, tuple[str, StandardItem]] = {}  # item code → (standard name, item)
    headers: dict[str, tuple[str, ...]] = dict(STANDARD_HEADERS)
    for standard in standards:
        for item in standard.items:
            items.setdefault(item.code, (standard.name, item))
            headers.setdefault(item.code, (item.code, item.zh))
    known = "、".join(f"{i.code}/{i.zh}" for s in standards for i in s.items)
    _, columns, iterator = read_columns(
        rows, headers, tuple(STANDARD_HEADERS), f"unknown column: not 编码/code, 年度/year or a standard item ({known})"
    )
    code_col, year_col = (next(i for i, name in columns.items() if name == field) for field in STANDARD_HEADERS)
    item_columns = [(index, *items[name]) for index, name in columns.items() if name in items]
    width = max(columns) + 1
    errors: list[RowError] = []
    out: dict[int, dict[str, dict[str, float]]] = {}
    where: dict[tuple[str, int], int] = {}
    for line, cells in iterator:
        cells = list(cells) + [None] * (width - len(cells))
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
        for index, standard_name, item in item_columns:
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


def parse_standard_file(
    path: Path, policy: Policy, organizations: Mapping[str, OrgDomain]
) -> dict[int, dict[str, dict[str, float]]]:
    return parse_standard_rows(checked_rows(path), policy, organizations)
