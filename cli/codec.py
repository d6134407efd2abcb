"""`pdca codec keys|init|rotate`: the keys that encrypt Temporal payloads (server side: $PDCA_PAYLOAD_KEY_DIR).

Every client and worker encrypts what it hands Temporal (case text, names, notes, actor ids) with the
newest key there, and decrypts with any of them: a client or worker on another machine needs a copy of
the same directory (docs/security.md, "Privacy model"). `pdca up` makes the first key itself.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import Lang, emit, noun, opts, run
from cli.render import console

app = noun("载荷加密密钥 Keys that encrypt Temporal payloads (server side: $PDCA_PAYLOAD_KEY_DIR; every worker and client needs a copy).")


@app.command("keys")
def codec_keys() -> None:
    """列出载荷密钥 The payload keys, oldest first; the newest (→) encrypts, every one decrypts."""

    def action() -> None:
        from service.codec import list_keys
        from settings import get_settings

        rows = list_keys(get_settings())
        zh = opts().lang == Lang.zh
        empty = "（无密钥：pdca up 或 pdca codec init 会创建）" if zh else "(none: `pdca up` or `pdca codec init` makes one)"
        emit(
            rows,
            lambda: console.print(
                "\n".join(f"{'→' if r['current'] else ' '} {r['kid']}  {r['cipher']}  {r['created'][:19]}" for r in rows) or empty
            ),
        )

    run(action)


@app.command("init")
def codec_init() -> None:
    """创建首个载荷密钥 Make the first payload key if there is none (PDCA_PAYLOAD_CIPHER); idempotent."""

    def action() -> None:
        from service.codec import ensure_key
        from settings import get_settings

        settings = get_settings()
        kid = ensure_key(settings)
        emit({"kid": kid, "directory": str(settings.payload_keys_path)}, lambda: console.print(f"✓ {kid}  ({settings.payload_keys_path})"))

    run(action)


@app.command("rotate")
def codec_rotate(
    cipher: Annotated[
        str | None, typer.Option("--cipher", help="aes-256-gcm or sm4-gcm (国密) [default: env PDCA_PAYLOAD_CIPHER, else aes-256-gcm].")
    ] = None,
) -> None:
    """轮换载荷密钥 Make a new payload key: it encrypts new payloads from now on (running processes notice
    the new file); older keys are kept and still decrypt. Copy the directory to every other machine that
    runs a worker or a client before they meet a payload under the new key."""

    def action() -> None:
        from service.codec import rotate_key
        from settings import get_settings

        settings = get_settings()
        kid = rotate_key(settings, cipher)
        emit({"kid": kid, "directory": str(settings.payload_keys_path)}, lambda: console.print(f"✓ {kid}  ({settings.payload_keys_path})"))

    run(action)
