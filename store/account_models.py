"""Sign-in secrets, one row per person who may sign in (``account``); see migration 0007.

Working data, not the record: the people themselves — roles, scope, status, signing keys — are the
people directory's audited stream (``dir-people``). Secrets never enter the audit log or Temporal: an
argon2id password hash, a TOTP secret, and the failed-attempt counter that locks an account.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel

from store.db import UTCDateTime


class Account(SQLModel, table=True):
    __tablename__ = "account"

    person_id: str = Field(primary_key=True, max_length=64)
    password_hash: str
    totp_secret: str | None = None
    failed_attempts: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


def get_account(engine: Engine, person_id: str) -> Account | None:
    with Session(engine) as session:
        return session.get(Account, person_id)


def save_account(engine: Engine, account: Account) -> None:
    with Session(engine) as session:
        session.merge(account)
        session.commit()
