"""Pairing units (1+N 结对共建单位、联村领导、驻村工作队) for any door: import a file, list, the units of one organization.

    import_file(deps, path)               -> PairingImport  (raises PairingImportRejected: every bad row)
    list_pairings(deps, kind=None)        -> list[Pairing]
    pairings_of(deps, org_code)           -> list[Pairing]

The import is checked whole first (each organization in the directory, each person in the people
directory), recorded as an audited ``RecordImport`` (what = "pairings") on the people directory's stream
— who, which file (its digest), which organizations — and only then written (docs/pairing.md).
"""

from __future__ import annotations

from pathlib import Path

from domain.directory import Pairing, parse_pairing_kind
from service.bootstrap import Deps
from service.errors import Refused
from store import pairings as store
from store.directory import Directory
from store.directory_import import PAIRING_HEADERS, ImportFailed, RowError, parse_pairing_file
from store.pairings import PairingImport

__all__ = ["PAIRING_HEADERS", "PairingImport", "PairingImportRejected", "import_file", "list_pairings", "pairings_of"]


class PairingImportRejected(Refused):
    """A file with bad rows: nothing was imported. ``errors`` are every bad row (line, field, message)."""

    def __init__(self, path: Path, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in {path}; nothing imported")
        self.path = path
        self.errors = errors


def _known_people(deps: Deps) -> list[str] | None:
    """The people directory's ids (None when it cannot be read here: the people are then not checked)."""
    from service import people

    try:
        return list(people.directory(deps).people)
    except Exception:  # noqa: BLE001 - a directory not reachable from this door: checked by nobody, said in the docs
        return None


async def import_file(deps: Deps, path: Path) -> PairingImport:
    """Import pairing units from CSV (UTF-8 or GB18030) or XLSX, all or nothing; the database is migrated first."""
    from service.people import record_import
    from store.migrate import upgrade

    known_people = _known_people(deps)
    with deps.database(create=True) as engine:
        upgrade(engine)
        known = [o.code for o in Directory(engine).organizations()]
        try:
            units = parse_pairing_file(path, known, known_people)
        except ImportFailed as failed:
            raise PairingImportRejected(path, list(failed.errors)) from None
    codes = sorted({code for unit in units for code in unit.org_codes})
    figures = {"units": len(units), "organizations": len(codes), "people": len({p for u in units for p in u.people})}
    await record_import(deps, "pairings", path, figures, codes)
    with deps.database() as engine:
        return store.import_pairings(engine, units)


def list_pairings(deps: Deps, kind: str | None = None) -> list[Pairing]:
    """Every pairing unit, or those of ``kind`` (结对单位/paired_unit, 联村领导/liaison_leader, 驻村工作队/work_team)."""
    try:
        kind_value = parse_pairing_kind(kind).value if kind else None
    except ValueError as error:
        raise Refused(f"--kind: {error}") from None
    return deps.reading(lambda engine: store.all_pairings(engine, kind_value))


def pairings_of(deps: Deps, org_code: str) -> list[Pairing]:
    """The pairing units paired with one organization."""
    return deps.reading(lambda engine: store.pairings_of(engine, org_code))
