"""`pdca person list|add|grant|revoke|scope|disable|enable|import|password|totp`: 人员目录 the people
directory (server side, audited). The work is service/people.py; every change is a command of an
administrator verified by the directory's workflow (docs/security.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import Lang, deps, emit, noun, opts, run, run_async, run_then_exit
from cli.render import console, roles_text
from domain.actors import Role

app = noun("人员目录 The people directory: who may sign in, with which roles and scope (administrators change it).")

RolesOpt = Annotated[
    list[str],
    typer.Option(
        "--role",
        help=f"A role ({', '.join(r.value for r in Role if r != Role.SYSTEM)}); repeatable.",
    ),
]
ScopeOpt = Annotated[list[str] | None, typer.Option("--scope", help="An organization code, a region, or * ; repeatable [default: *].")]


def _done(result: Any, what_zh: str, what_en: str) -> None:
    emit(result, lambda: console.print(f"✓ {what_zh}" if opts().lang == Lang.zh else f"✓ {what_en}", soft_wrap=True))


def _password_line(person_id: str, password: str) -> str:
    if opts().lang == Lang.zh:
        return f"  {person_id} 初始密码：{password}（请当面交给本人；登录：pdca login {person_id}）"
    return f"  {person_id} first password: {password} (hand it over in person; sign in: pdca login {person_id})"


@app.command("list")
def list_people() -> None:
    """人员列表 Everyone in the directory: roles, scope, status, signing key."""
    from service import people

    def action() -> None:
        state = people.directory(deps())
        rows: list[dict[str, Any]] = [
            {
                "id": p.id,
                "name": p.name,
                "roles": [r.value for r in p.roles],
                "scope": p.scope,
                "status": p.status,
                "key": p.current_key.fingerprint if p.current_key else None,
            }
            for p in state.people.values()
        ]
        zh = opts().lang == Lang.zh

        def show() -> None:
            if not rows:
                console.print(
                    "人员目录为空：运行 pdca up 创建首个管理员"
                    if zh
                    else "the directory is empty: `pdca up` creates the first administrator"
                )
            for r in rows:
                status = "" if r["status"] == "active" else ("  已停用" if zh else "  disabled")
                console.print(f"{r['id']}  {r['name']}  {roles_text(r['roles'], zh)}  {','.join(r['scope'])}{status}", soft_wrap=True)

        emit(rows, show)

    run(action)


@app.command("add")
def add(
    person_id: Annotated[str, typer.Argument(help="The new person's id.")],
    roles: RolesOpt,
    name: Annotated[str, typer.Option("--name", help="Full name (姓名).")] = "",
    scope: ScopeOpt = None,
) -> None:
    """新增人员 Add a person (administrators); prints their first password once."""
    from service import people

    def action() -> None:
        done, password = run_async(people.add_person(deps(), person_id, name, roles, scope or ["*"]))
        data = {"done": done, "id": person_id, "password": password.password}
        emit(
            data,
            lambda: console.print(
                (
                    f"✓ 已新增 {person_id}（{roles_text(roles, True)}）\n"
                    if opts().lang == Lang.zh
                    else f"✓ added {person_id} ({', '.join(roles)})\n"
                )
                + _password_line(person_id, password.password),
                soft_wrap=True,
            ),
        )

    run_then_exit(action)


@app.command("grant")
def grant(person_id: Annotated[str, typer.Argument()], roles: RolesOpt) -> None:
    """授予角色 Grant roles (administrators; never to themselves)."""
    from service import people

    run_then_exit(
        lambda: _done(
            run_async(people.grant(deps(), person_id, roles)),
            f"已授予 {person_id}：{roles_text(roles, True)}",
            f"granted {person_id}: {', '.join(roles)}",
        )
    )


@app.command("revoke")
def revoke(person_id: Annotated[str, typer.Argument()], roles: RolesOpt) -> None:
    """撤销角色 Revoke roles (administrators; never their own)."""
    from service import people

    run_then_exit(
        lambda: _done(
            run_async(people.revoke(deps(), person_id, roles)),
            f"已撤销 {person_id}：{roles_text(roles, True)}",
            f"revoked {person_id}: {', '.join(roles)}",
        )
    )


@app.command("scope")
def scope(
    person_id: Annotated[str, typer.Argument()],
    scope: Annotated[list[str], typer.Option("--scope", help="Organization code, region or *; repeatable.")],
) -> None:
    """设定范围 Set the organizations and regions a person may act on (administrators)."""
    from service import people

    run_then_exit(
        lambda: _done(
            run_async(people.set_scope(deps(), person_id, scope)),
            f"{person_id} 的范围：{','.join(scope)}",
            f"scope of {person_id}: {','.join(scope)}",
        )
    )


@app.command("disable")
def disable(person_id: Annotated[str, typer.Argument()], reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")]) -> None:
    """停用 Disable a person: no more sign-in (credentials already issued expire on their own)."""
    from service import people

    run_then_exit(lambda: _done(run_async(people.disable(deps(), person_id, reason)), f"已停用 {person_id}", f"disabled {person_id}"))


@app.command("enable")
def enable(person_id: Annotated[str, typer.Argument()], note: Annotated[str, typer.Option("--note")] = "") -> None:
    """启用 Enable a disabled person again."""
    from service import people

    run_then_exit(lambda: _done(run_async(people.enable(deps(), person_id, note)), f"已启用 {person_id}", f"enabled {person_id}"))


@app.command("import")
def import_people(
    file: Annotated[Path, typer.Argument(help="Actors YAML (examples/actors.yaml's format).")],
    passwords: Annotated[bool, typer.Option("--passwords", help="Give everyone without a password a first one (printed once).")] = False,
) -> None:
    """导入人员 Add or update people from a YAML file (administrators; recorded with the file's digest)."""
    from service import people

    def action() -> None:
        done, issued = run_async(people.import_people(deps(), file, passwords))
        data = {"done": done, "passwords": {p.person_id: p.password for p in issued}}
        zh = opts().lang == Lang.zh
        head = f"✓ 已导入 {file}" if zh else f"✓ imported {file}"
        emit(data, lambda: console.print("\n".join([head, *(_password_line(p.person_id, p.password) for p in issued)]), soft_wrap=True))

    run_then_exit(action)


@app.command("password")
def password(
    person_id: Annotated[str, typer.Argument(help="Whose password (an administrator for anyone, else your own).")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from standard input [default: a random one, printed].")
    ] = False,
) -> None:
    """重置密码 Set a new password (recorded as an audited reset; the password itself never is)."""
    import sys

    from service import people

    def action() -> None:
        chosen = sys.stdin.readline().rstrip("\n") if password_stdin else None
        result = run_async(people.reset_password(deps(), person_id, chosen))
        shown = None if chosen else result.password
        emit(
            {"id": person_id, "password": shown},
            lambda: console.print(
                _password_line(person_id, result.password)
                if shown
                else ("✓ 密码已更新" if opts().lang == Lang.zh else "✓ password changed"),
                soft_wrap=True,
            ),
        )

    run_then_exit(action)


@app.command("totp")
def totp(person_id: Annotated[str, typer.Argument(help="Whose second factor.")]) -> None:
    """启用动态口令 Enroll a TOTP second factor: prints the secret and the otpauth:// URI for an authenticator app."""
    from service import people

    def action() -> None:
        secret, uri = run_async(people.enroll_totp(deps(), person_id))
        emit({"id": person_id, "secret": secret, "uri": uri}, lambda: console.print(f"{uri}\nsecret: {secret}", soft_wrap=True))

    run_then_exit(action)


@app.command("history")
def history() -> None:
    """目录纪实 The directory's audit trail: who added, granted, revoked, imported, registered keys, and when."""
    from cli import history_view
    from service import people

    def action() -> None:
        rows = people.history(deps())
        emit(history_view.history_json(rows), lambda: history_view.history(rows, opts().lang.value))

    run(action)
