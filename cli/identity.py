"""`pdca login|logout|whoami`, `pdca key new` and `pdca authority …`: 身份 who acts (docs/security.md).

A person signs in at the HTTP API (`pdca up` serves it) with the people directory's account: password,
and a TOTP code once enrolled. The credential comes back signed by the server's authority and is kept
in $PDCA_CREDENTIALS_DIR (0600); every command the CLI sends carries it, and the workflows verify it.
Decisions that judge a person are also signed with the person's own key, made here by `pdca key new`
(or at the first sign-in) and registered in the directory when signing in.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from cli.common import Lang, emit, noun, opts, run
from cli.render import console, roles_text


def _store():  # noqa: ANN202 -- service.identity.CredentialStore, imported on use
    from service.identity import CredentialStore
    from settings import get_settings

    return CredentialStore(get_settings().credentials_path)


def login(
    person_id: Annotated[str, typer.Argument(help="Your id in the people directory.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input (scripts).")] = False,
    totp: Annotated[str | None, typer.Option("--totp", help="The 6-digit code of your authenticator (once enrolled).")] = None,
    server: Annotated[
        str | None, typer.Option("--server", envvar="PDCA_API_URL", help="The HTTP API [default: http://127.0.0.1:8470].")
    ] = None,
) -> None:
    """登录 Sign in: get a credential for the CLI (kept 0600 under $PDCA_CREDENTIALS_DIR).

    The first sign-in on this machine also makes your personal signing key (PDCA_SIGNATURE_ALGORITHM:
    ed25519 or sm2) and registers its public part in the people directory: decisions that judge a
    person (plan approval, acceptance, closing, designation, sanctions) are signed with it."""
    from service.remote import sign_in_remote
    from settings import get_settings

    def action() -> None:
        settings = get_settings()
        zh = opts().lang == Lang.zh
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = typer.prompt("密码 password" if zh else "password", hide_input=True)
        store = _store()
        key = store.public_key(person_id) or store.new_key(person_id, settings.signature_algorithm)
        credential = sign_in_remote(server or settings.api_base, person_id, password, totp, key, timeout=opts().timeout)
        caller = store.save(credential)
        data = {
            "id": caller.id,
            "roles": [r.value for r in caller.claims.roles],
            "scope": caller.claims.scope,
            "expires_at": caller.expires().isoformat(),
            "key": caller.claims.key.fingerprint if caller.claims.key else None,
        }
        until = caller.expires().astimezone().strftime("%Y-%m-%d %H:%M")
        emit(
            data,
            lambda: console.print(
                f"✓ 已登录 {caller.id}（{roles_text(data['roles'], True)}），凭证有效至 {until}；签名密钥 {data['key']}"
                if zh
                else f"✓ signed in as {caller.id} ({roles_text(data['roles'], False)}), valid until {until}; signing key {data['key']}",
                soft_wrap=True,
            ),
        )

    run(action)


def logout(person_id: Annotated[str | None, typer.Argument(help="Whom to sign out [default: --as, else the current].")] = None) -> None:
    """退出登录 Forget a stored credential on this machine (it still expires on its own)."""

    def action() -> None:
        store = _store()
        who = person_id or opts().actor or store.current_id()
        zh = opts().lang == Lang.zh
        if who is None or not store.forget(who):
            emit({"signed_out": None}, lambda: console.print("未登录" if zh else "not signed in"))
            return
        emit({"signed_out": who}, lambda: console.print(f"✓ 已退出 {who}" if zh else f"✓ signed out {who}"))

    run(action)


def whoami() -> None:
    """当前身份 Who this CLI acts as: the stored credentials, which one is used, until when."""

    def action() -> None:
        store = _store()
        current = opts().actor or store.current_id()
        now = datetime.now(UTC)
        rows = [
            {
                "id": c.id,
                "name": c.claims.name,
                "roles": [r.value for r in c.claims.roles],
                "scope": c.claims.scope,
                "expires_at": c.expires().isoformat(),
                "expired": c.expires() <= now,
                "key": c.claims.key.fingerprint if c.claims.key else None,
                "current": c.id == current,
            }
            for c in store.signed_in()
        ]
        zh = opts().lang == Lang.zh

        def show() -> None:
            if not rows:
                console.print("未登录：pdca login ID" if zh else "not signed in: pdca login ID")
                return
            for r in rows:
                mark = "→" if r["current"] else " "
                state = ("已过期" if zh else "expired") if r["expired"] else (("有效至 " if zh else "valid until ") + r["expires_at"][:16])
                console.print(
                    f"{mark} {r['id']} {r['name']}  {roles_text(r['roles'], zh)}  {','.join(r['scope'])}  {state}", soft_wrap=True
                )

        emit(rows, show)

    run(action)


key = noun("个人签名密钥 Your personal signing key (decisions that judge a person are signed with it).")


@key.command("new")
def key_new(
    algorithm: Annotated[str | None, typer.Option("--alg", help="ed25519 or sm2 [default: PDCA_SIGNATURE_ALGORITHM].")] = None,
) -> None:
    """新建签名密钥 Make a new personal signing key (replacing this machine's); sign in again to register it."""
    from settings import get_settings

    def action() -> None:
        from service.errors import Refused

        alg = algorithm or get_settings().signature_algorithm
        if alg not in ("ed25519", "sm2"):
            raise Refused(f"--alg {alg!r}: ed25519 or sm2")
        store = _store()
        who = opts().actor or store.current_id()
        if who is None:
            raise Refused("whose key? sign in first (`pdca login ID`) or pass --as ID")
        made = store.new_key(who, alg)
        zh = opts().lang == Lang.zh
        emit(
            {"id": who, "alg": alg, "fingerprint": made.fingerprint},
            lambda: console.print(
                f"✓ 已为 {who} 新建 {alg} 签名密钥 {made.fingerprint}；请重新登录以登记：pdca login {who}"
                if zh
                else f"✓ new {alg} signing key {made.fingerprint} for {who}; sign in again to register it: pdca login {who}",
                soft_wrap=True,
            ),
        )

    run(action)


authority = noun("凭证签发机构 The server's credential authority keys (server side: $PDCA_AUTHORITY_DIR).")


@authority.command("keys")
def authority_keys() -> None:
    """列出签发密钥 The authority keys workflows trust (public parts; the newest signs)."""

    def action() -> None:
        from service.signin import authority_keys as listed
        from settings import get_settings

        rows = listed(get_settings())
        emit(rows, lambda: console.print("\n".join(f"{r['kid']}  {r['alg']}" for r in rows) or "(none)"))

    run(action)


@authority.command("rotate")
def authority_rotate(
    algorithm: Annotated[str | None, typer.Option("--alg", help="ed25519 or sm2 [default: PDCA_SIGNATURE_ALGORITHM].")] = None,
) -> None:
    """轮换签发密钥 Make a new authority key: it signs from now on; the old one stays trusted until retired."""

    def action() -> None:
        from service.signin import rotate_authority
        from settings import get_settings

        kid = rotate_authority(get_settings(), algorithm)
        emit({"kid": kid}, lambda: console.print(f"✓ {kid}"))

    run(action)


@authority.command("retire")
def authority_retire(kid: Annotated[str, typer.Argument(help="The key id (`pdca authority keys`).")]) -> None:
    """停用签发密钥 Stop trusting an authority key (its credentials are refused from the next key fetch on)."""

    def action() -> None:
        from service.signin import retire_authority
        from settings import get_settings

        retire_authority(get_settings(), kid)
        emit({"retired": kid}, lambda: console.print(f"✓ {kid}"))

    run(action)
