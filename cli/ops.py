"""Operations: `pdca up` (the embedded stack), `pdca worker`, `pdca migrate`, `pdca demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import render
from cli.common import emit, opts, run, run_async, run_then_exit
from settings import Settings, get_settings


def _default(field: str) -> str:
    """How the help names a default that lives in settings.Settings: its variable, else its value there."""
    return f"[default: env {Settings.variable(field)}, else {Settings.model_fields[field].default}]"


def up(
    port: Annotated[int, typer.Option("--port", help="Temporal frontend port.")] = 7233,
    ui_port: Annotated[int, typer.Option("--ui-port", help="Temporal web UI port.")] = 8233,
    no_ui: Annotated[bool, typer.Option("--no-ui", help="Do not serve the Temporal web UI.")] = False,
    metrics_port: Annotated[
        int | None,
        typer.Option("--metrics-port", help=f"Prometheus /metrics port of the project's metrics (0: off) {_default('metrics_port')}."),
    ] = None,
    sdk_metrics_port: Annotated[
        int | None,
        typer.Option(
            "--sdk-metrics-port", help=f"Prometheus port of the Temporal SDK's own metrics (0: off) {_default('sdk_metrics_port')}."
        ),
    ] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Where state lives [default: env PDCA_HOME, else ~/.pdca].")] = None,
    api_port: Annotated[
        int | None,
        typer.Option("--api-port", help=f"HTTP API and web console port (0: off) {_default('api_port')}."),
    ] = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="No worker in this process: run `pdca worker` beside it (commands wait for one).")
    ] = False,
) -> None:
    """一键启动 Start the embedded stack: Temporal dev server (state kept in DATA_DIR), audit DB, worker, metrics. Ctrl-C stops all.

    The dev server is plain local Temporal: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE=default and
    TEMPORAL_TLS=false are set for it, so a Temporal profile's TLS or API key is not used.
    """
    from service.stack import run_stack

    def action() -> None:
        settings = get_settings()  # the defaults (and PDCA_* variables) are declared once, in settings.Settings
        run_stack(
            port=port,
            ui_port=None if no_ui else ui_port,
            metrics_port=settings.metrics_port if metrics_port is None else metrics_port,
            sdk_metrics_port=settings.sdk_metrics_port if sdk_metrics_port is None else sdk_metrics_port,
            data_dir=data_dir,  # None: settings.home (PDCA_HOME)
            api_port=api_port,
            with_worker=not no_worker,
        )

    run(action)


def worker() -> None:
    """Run only the worker, against TEMPORAL_ADDRESS and PDCA_DATABASE_URL (production)."""
    from service.stack import run_worker

    run(run_worker)


def serve(
    port: Annotated[int | None, typer.Option("--port", help=f"Port {_default('api_port')}.")] = None,
    host: Annotated[str | None, typer.Option("--host", help=f"Address to bind {_default('api_addr')}.")] = None,
) -> None:
    """HTTP API and web console: sign-in (password, TOTP, lock-out), credentials, the same commands and
    queries as the CLI (OpenAPI at /api/openapi.json), and the console's pages for the people who act (/tasks,
    docs/web.md), against TEMPORAL_ADDRESS and PDCA_DATABASE_URL. `pdca up` serves it too."""

    def action() -> None:
        from api.app import serve as serve_api

        settings = get_settings()
        serve_api(host or settings.api_addr, settings.api_port if port is None else port)

    run(action)


def migrate(
    app_role: Annotated[
        str | None,
        typer.Option(
            "--app-role",
            help="PostgreSQL role the app runs as: granted least privilege after the upgrade [default: env PDCA_DATABASE_APP_ROLE].",
        ),
    ] = None,
) -> None:
    """建库/升级 Create or upgrade the audit database schema (`pdca up` does this too), as the owner role:
    --db, else PDCA_MIGRATION_DATABASE_URL, else PDCA_DATABASE_URL. On PostgreSQL, --app-role is then
    granted only what the app needs (docs/security.md, least privilege)."""
    from service import audit
    from service.bootstrap import bootstrap

    def action() -> None:
        g, settings = opts(), get_settings()
        given = g.db if g.db and g.db != settings.database_url else None  # --db on the line (it also reads PDCA_DATABASE_URL)
        owner = bootstrap(database_url=given or settings.migration_url, timeout=g.timeout)
        url = audit.migrate(owner, app_role)
        role = app_role or owner.settings.database_app_role
        granted = f"（应用角色 app role {role} 已授权 granted）" if role and not url.startswith("sqlite") else ""
        emit({"database": url, "migrated": True, "app_role": role}, lambda: render.console.print(f"✓ {url}{granted}"))

    run(action)


def demo(
    out: Annotated[Path, typer.Option("--out", help="Where the demo's audit database and reports go.")] = Path("pdca-demo"),
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only the summary, not the timeline.")] = False,
) -> None:
    """演示 A whole campaign year in under a minute on Temporal's time-skipping server: designation,
    cases, secretary projects, reminders, escalations, acceptance, bulletin, year-end summary.

    Needs nothing running (it starts its own server, worker and SQLite audit database under --out).
    With -o json the timeline is not printed; the result is, as JSON.
    """
    from cli.demo import print_result, say
    from service.demo import run_demo

    def action() -> None:
        g = opts()
        lang = g.lang.value
        result = run_async(run_demo(out.resolve(), lang, echo=None if quiet or g.json else say))
        emit(result, lambda: print_result(result, lang))

    run_then_exit(action)
