"""Every table the migrations create has a decided grant for the app role (store/privileges.py)."""

from __future__ import annotations

from sqlmodel import SQLModel

import store.migrations.env_models  # noqa: F401  (registers every table)
from store.privileges import TABLE_PRIVILEGES


def test_every_table_has_its_grant_decided() -> None:
    tables = set(SQLModel.metadata.tables) | {"alembic_version"}
    missing = sorted(tables - set(TABLE_PRIVILEGES))
    assert not missing, f"decide what the app role may do on {missing} in store/privileges.py TABLE_PRIVILEGES"
    assert sorted(set(TABLE_PRIVILEGES) - tables) == []


def test_the_record_is_append_only_for_the_app_role() -> None:
    assert TABLE_PRIVILEGES["audit_event"] == ("SELECT", "INSERT")
    assert TABLE_PRIVILEGES["alembic_version"] == ("SELECT",)
    assert all("TRUNCATE" not in granted for granted in TABLE_PRIVILEGES.values())
