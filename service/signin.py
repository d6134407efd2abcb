"""Sign-in and credentials: the server side of identity (docs/security.md).

    sign_in(deps, person_id, password, totp=None, key=None, passkey=False)  -> Issued   (argon2id, TOTP, lock-out)
    issue(settings, person, key=None, passkey=False)       -> a credential for a directory person
    set_password(engine, person_id, password)               -> store an argon2id hash (after an audited reset)
    enroll_totp(engine, person_id)                          -> a new TOTP secret and its otpauth:// URI
    bootstrap_admin(deps, admin_id, name)                   -> the first administrator's password (once)

Who may sign in, with which roles and scope, is the people directory (an audited stream, read here
from the audit log); the secrets are the ``account`` table. The authority's private key (store/keys.py)
is read only here. A credential lives ``PDCA_CREDENTIAL_MINUTES`` (default 8 hours, a working day).
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Engine

from domain.actors import Role
from domain.identity import Claims, PersonKey, encode_credential
from domain.people import DECIDER as PEOPLE
from domain.people import DIRECTORY_ID, DirectoryState, Person
from domain.policy import Policy
from service.bootstrap import Deps
from service.errors import Refused, Unavailable
from service.identity import Caller, caller_of
from settings import Settings
from store import queries
from store.account_models import Account, get_account, save_account
from store.keys import KeyStore, KeyStoreError, write_private

HASHER = PasswordHasher()  # argon2id, the library's defaults (RFC 9106 low-memory profile)
MIN_PASSWORD = 10
ISSUER = "pdca"


class SignInFailed(Refused):
    def __init__(self, message: str = "wrong id, password or second factor") -> None:
        super().__init__(message, code="sign_in_failed")


@dataclass(frozen=True)
class Issued:
    credential: str
    caller: Caller
    key_registered: bool = False  # the sign-in registered a new personal signing key


def read_directory(deps: Deps) -> DirectoryState:
    """The people directory as its audit rows fold (empty before `pdca up` made the first administrator)."""
    rows = deps.reading(lambda engine: queries.read_stream(engine, DIRECTORY_ID))
    return queries.fold_stream(rows, PEOPLE) if rows else PEOPLE.initial


def _keys(settings: Settings) -> KeyStore:
    return KeyStore(settings.authority_path)


def issue(settings: Settings, person: Person, key: PersonKey | None = None, now: datetime | None = None, passkey: bool = False) -> str:
    """A credential for ``person`` as the directory holds them, naming ``key`` or else their current
    signing key: the CLI's (``current_key``), or with ``passkey`` their last registered passkey (the web
    console signs with it; None when they have none: signed decisions are then refused, asking for one)."""
    now = now or datetime.now(UTC)
    try:
        signing = _keys(settings).signing_key()
    except KeyStoreError as error:
        raise Unavailable(str(error)) from None
    claims = Claims(
        iss=ISSUER,
        sub=person.id,
        name=person.name,
        roles=[r for r in person.roles if r != Role.SYSTEM],
        scope=list(person.scope),
        iat=int(now.timestamp()),
        exp=int((now + timedelta(minutes=settings.credential_minutes)).timestamp()),
        jti=uuid.uuid4().hex,
        key=key or (person.current_passkey if passkey else person.current_key),
    )
    return encode_credential(claims, signing.kid, signing.alg, signing.private)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Refused(f"a password has at least {MIN_PASSWORD} characters")


def set_password(engine: Engine, person_id: str, password: str) -> None:
    check_password_strength(password)
    existing = get_account(engine, person_id)
    account = existing or Account(person_id=person_id, password_hash="", updated_at=datetime.now(UTC))
    account.password_hash = HASHER.hash(password)
    account.failed_attempts = 0
    account.locked_until = None
    account.updated_at = datetime.now(UTC)
    save_account(engine, account)


def enroll_totp(engine: Engine, person_id: str) -> tuple[str, str]:
    """A new TOTP secret for ``person_id`` (replacing any earlier one) and its otpauth:// URI."""
    account = get_account(engine, person_id)
    if account is None:
        raise Refused(f"{person_id} has no password yet: set one first")
    secret = pyotp.random_base32()
    account.totp_secret = secret
    account.updated_at = datetime.now(UTC)
    save_account(engine, account)
    return secret, pyotp.TOTP(secret).provisioning_uri(name=person_id, issuer_name="PDCA 整顿")


def _fail(engine: Engine, account: Account, settings: Settings, now: datetime) -> SignInFailed:
    account.failed_attempts += 1
    message = "wrong id, password or second factor"
    if account.failed_attempts >= settings.lockout_attempts:
        account.locked_until = now + timedelta(minutes=settings.lockout_minutes)
        account.failed_attempts = 0
        message += f"; the account is locked for {settings.lockout_minutes} minutes after {settings.lockout_attempts} failures"
    account.updated_at = now
    save_account(engine, account)
    return SignInFailed(message)


def authenticate(deps: Deps, person_id: str, password: str, totp: str | None = None) -> Person:
    """The directory's person whose password (and TOTP code, if enrolled) this is; ``SignInFailed``
    (the same words whatever was wrong) or ``Refused`` (locked, second factor required) otherwise."""
    now = datetime.now(UTC)
    person = read_directory(deps).person(person_id)
    with deps.database() as engine:
        account = get_account(engine, person_id)
        if person is None or account is None:
            HASHER.hash(password)  # the same work as a real check: the answer's timing names no one
            raise SignInFailed()
        if account.locked_until is not None and account.locked_until > now:
            raise Refused(
                f"the account is locked until {account.locked_until:%H:%M} UTC after repeated failures", code="account_locked"
            )
        try:
            HASHER.verify(account.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            raise _fail(engine, account, deps.settings, now) from None
        if account.totp_secret:
            if not totp or not pyotp.TOTP(account.totp_secret).verify(totp.strip(), valid_window=1):
                raise _fail(engine, account, deps.settings, now)
        elif deps.settings.totp_required:
            raise Refused(f"{person_id} has no second factor yet and this server requires one: ask an administrator", code="sign_in_failed")
        if person.status != "active":
            raise Refused(f"{person_id} is disabled in the people directory", code="sign_in_failed")
        rehash = HASHER.check_needs_rehash(account.password_hash)
        if account.failed_attempts or account.locked_until or rehash:
            if rehash:
                account.password_hash = HASHER.hash(password)
            account.failed_attempts = 0
            account.locked_until = None
            account.updated_at = now
            save_account(engine, account)
    return person


async def sign_in(
    deps: Deps, person_id: str, password: str, totp: str | None = None, key: PersonKey | None = None, passkey: bool = False
) -> Issued:
    """Check the password (and second factor) and issue a credential. ``key``: the person's new public
    signing key, registered in the directory (an audited ``RegisterKey`` sent with the fresh credential)
    before the credential that names it is issued. ``passkey`` (the web console): the credential names
    the person's passkey (service/passkeys.py) instead of their CLI key."""
    from domain.people import RegisterKey
    from service import commands

    person = await asyncio.to_thread(authenticate, deps, person_id, password, totp)  # argon2 takes ~50 ms of CPU
    credential = issue(deps.settings, person, passkey=passkey)
    registered = False
    if key is not None and (person.current_key is None or person.current_key.fingerprint != key.fingerprint):
        if key.fingerprint not in {k.fingerprint for k in person.keys}:
            signer = deps.acting_as(caller_of(credential))
            await commands.send(signer, DIRECTORY_ID, commands.command(RegisterKey, actor=person.actor(), person_id=person.id, key=key))
            registered = True
        credential = issue(deps.settings, person, key=key)
    return Issued(credential=credential, caller=caller_of(credential), key_registered=registered)


async def bootstrap_admin(deps: Deps, admin_id: str = "admin", name: str = "系统管理员", password_file: Path | None = None) -> str | None:
    """On a fresh installation: the authority's first key, the people directory opened by its first
    administrator, and that administrator's password (returned, and written 0600 to ``password_file``).
    None when the directory exists already."""
    from domain.people import OpenDirectory, PersonInput
    from service import commands

    keys = _keys(deps.settings)
    keys.ensure(deps.settings.signature_algorithm)
    if read_directory(deps).people:
        return None
    password = secrets.token_urlsafe(12)
    admin = Person(id=admin_id, name=name, roles=[Role.ADMIN], scope=["*"], status="active", keys=[])
    with deps.database() as engine:
        set_password(engine, admin_id, password)
    opener = deps.acting_as(caller_of(issue(deps.settings, admin)))
    opening = commands.command(
        OpenDirectory, actor=admin.actor(), admin=PersonInput(id=admin_id, name=name, roles=[Role.ADMIN], scope=["*"])
    )
    await commands.open_stream(opener, opening, Policy())
    if password_file is not None:
        write_private(password_file, password + "\n")
    return password


# ----------------------------------------------------------------------------- the authority's keys (server side)


def authority_keys(settings: Settings) -> list[dict[str, str]]:
    """The trusted authority keys, oldest first (the newest signs new credentials)."""
    return [{"kid": k.kid, "alg": k.alg} for k in _keys(settings).trusted().keys]


def rotate_authority(settings: Settings, algorithm: str | None = None) -> str:
    try:
        return _keys(settings).create(algorithm or settings.signature_algorithm)
    except KeyStoreError as error:
        raise Refused(str(error)) from None


def retire_authority(settings: Settings, kid: str) -> None:
    try:
        _keys(settings).retire(kid)
    except KeyStoreError as error:
        raise Refused(str(error)) from None
