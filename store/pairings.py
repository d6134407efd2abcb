"""Pairing units (1+N 结对共建单位、联村领导、驻村工作队): the repository and the reads others use.

    pairings_of(engine, org_code) -> list[Pairing]     the units paired with one organization
    all_pairings(engine, kind=None) -> list[Pairing]   every unit (by code)
    import_pairings(engine, pairings) -> PairingImport one transaction: each unit upserted, its
                                                       organizations replaced by the file's

Parsing and validating the file lives in ``store.directory_import`` (``parse_pairing_file``); this
module trusts its input. A unit not in a re-imported file is left as it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from domain.directory import Pairing
from store.inspection_models import PairingLinkRow, PairingUnitRow


@dataclass(frozen=True)
class PairingImport:
    units: int
    created: int
    updated: int
    links: int  # unit × organization pairs in the file


def _pairings(session: Session, units: Iterable[PairingUnitRow]) -> list[Pairing]:
    rows = list(units)
    if not rows:
        return []
    codes = [u.unit_code for u in rows]
    links: dict[str, list[str]] = {}
    for link in session.exec(select(PairingLinkRow).where(col(PairingLinkRow.unit_code).in_(codes)).order_by(PairingLinkRow.org_code)):
        links.setdefault(link.unit_code, []).append(link.org_code)
    return [
        Pairing(
            unit_code=u.unit_code, unit_name=u.unit_name, kind=u.kind, people=json.loads(u.people), org_codes=links.get(u.unit_code, [])
        )
        for u in rows
        if links.get(u.unit_code)
    ]


def pairings_of(engine: Engine, org_code: str) -> list[Pairing]:
    """The pairing units paired with ``org_code`` (kind, then code order); [] when none (or no tables yet)."""
    with Session(engine) as session:
        units = select(PairingLinkRow.unit_code).where(PairingLinkRow.org_code == org_code)
        rows = session.exec(
            select(PairingUnitRow).where(col(PairingUnitRow.unit_code).in_(units)).order_by(PairingUnitRow.kind, PairingUnitRow.unit_code)
        )
        return _pairings(session, rows)


def all_pairings(engine: Engine, kind: str | None = None) -> list[Pairing]:
    with Session(engine) as session:
        query = select(PairingUnitRow).order_by(PairingUnitRow.unit_code)
        if kind is not None:
            query = query.where(PairingUnitRow.kind == kind)
        return _pairings(session, session.exec(query))


def import_pairings(engine: Engine, pairings: list[Pairing]) -> PairingImport:
    """Upsert each unit and replace its organizations, in one transaction."""
    now = datetime.now(UTC)
    created = updated = 0
    with Session(engine) as session:
        for p in pairings:
            row = session.get(PairingUnitRow, p.unit_code)
            if row is None:
                created += 1
                row = PairingUnitRow(
                    unit_code=p.unit_code, unit_name=p.unit_name, kind=p.kind.value, people=json.dumps(p.people), updated_at=now
                )
            else:
                updated += 1
                row.unit_name, row.kind, row.people, row.updated_at = p.unit_name, p.kind.value, json.dumps(p.people), now
            session.add(row)
            session.exec(delete(PairingLinkRow).where(col(PairingLinkRow.unit_code) == p.unit_code))
            for code in dict.fromkeys(p.org_codes):
                session.add(PairingLinkRow(unit_code=p.unit_code, org_code=code))
        session.commit()
    return PairingImport(units=len(pairings), created=created, updated=updated, links=sum(len(set(p.org_codes)) for p in pairings))
