"""Category-standard results (分类标准逐项结果, e.g. 三有一化): working data imported from a file, read by
the designation (domain.designation: ``standards``). Table ``standard_result`` (migration 0014): one row
per organization, year and item of the policy's ``designation.standards``: the points achieved (a veto
item: 1 = the situation occurred, 0 = not).

    standard_results(engine, year)         -> {org_code: {item_code: value}}
    replace_standard_results(engine, year, results) -> rows written (the given organizations' rows of
                                              that year are replaced in one transaction)
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Column, Float, String, delete
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, select


class StandardResultRow(SQLModel, table=True):
    __tablename__ = "standard_result"

    org_code: str = Field(sa_column=Column(String(64), primary_key=True))
    year: int = Field(primary_key=True, index=True)
    item: str = Field(sa_column=Column(String(64), primary_key=True))
    value: float = Field(sa_column=Column(Float, nullable=False))


def standard_results(engine: Engine, year: int) -> dict[str, dict[str, float]]:
    """The item results of ``year``, by organization code ({} when none were imported)."""
    out: dict[str, dict[str, float]] = {}
    with Session(engine) as session:
        for row in session.exec(select(StandardResultRow).where(StandardResultRow.year == year)):
            out.setdefault(row.org_code, {})[row.item] = row.value
    return out


def replace_standard_results(engine: Engine, year: int, results: Mapping[str, Mapping[str, float]]) -> int:
    """Replace the ``year`` rows of the organizations in ``results`` (one transaction; other
    organizations' rows stay)."""
    written = 0
    with Session(engine) as session:
        for org_code, items in results.items():
            session.execute(
                delete(StandardResultRow).where(StandardResultRow.year == year, StandardResultRow.org_code == org_code)  # type: ignore[arg-type]
            )
            for item, value in items.items():
                session.add(StandardResultRow(org_code=org_code, year=year, item=item, value=float(value)))
                written += 1
        session.commit()
    return written
