"""A history recorded with encrypted payloads (and a key rotation halfway) replays through the codec;
it shows nothing of the case in clear, and a machine without the newer key cannot replay it.

Recorded by ``python -m tests.replay.record_encrypted_history``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from store.payload_codec import data_converter
from tests.payload_keys import TEST_AES_KEY, TEST_SM4_KEY, key_directory
from tests.replay.payloads import start_input
from tests.replay.record_encrypted_history import OUTPUT, SECRET_TEXTS
from tests.replay.test_replay import replayer
from worker import PASSTHROUGH
from workflows.rectification import RectificationWorkflow

# SDK and server bookkeeping that is never encoded (docs/security.md, "Privacy model"): search
# attributes and the patch markers' ids.
CLEAR_FIELDS = ("searchAttributes", "patch-data")


def history() -> tuple[str, WorkflowHistory]:
    assert OUTPUT.exists(), "run: python -m tests.replay.record_encrypted_history"
    text = OUTPUT.read_text(encoding="utf-8")
    return text, WorkflowHistory.from_json(start_input(text)["case_id"], text)


def payloads(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Every payload of the history JSON, with the keys leading to it."""
    if isinstance(node, dict):
        metadata = node.get("metadata")
        if isinstance(metadata, dict) and "encoding" in metadata:
            yield path, node
        for key, value in node.items():
            yield from payloads(value, (*path, key))
    elif isinstance(node, list):
        for value in node:
            yield from payloads(value, path)


def meta(payload: dict[str, Any], name: str) -> str:
    return base64.b64decode(payload["metadata"].get(name, "")).decode()


def test_every_payload_of_the_case_is_encrypted_under_both_keys() -> None:
    text, recorded = history()
    assert recorded.workflow_id == "rect-replay-encrypted-2026"
    found = list(payloads(json.loads(text)))
    sealed = [p for path, p in found if not any(f in path for f in CLEAR_FIELDS)]
    assert len(sealed) > 30
    assert {meta(p, "encoding") for p in sealed} == {"binary/encrypted"}
    kids = {meta(p, "encryption-key-id"): meta(p, "encryption-cipher") for p in sealed}
    assert kids == {TEST_AES_KEY.kid: "aes-256-gcm", TEST_SM4_KEY.kid: "sm4-gcm"}  # rotated halfway
    clear = " ".join(base64.b64decode(p.get("data", "")).decode("utf-8", "replace") for _, p in found) + text
    for secret in (*SECRET_TEXTS, "张督导", "李书记", "班子不团结", "村党支部", "bs-wang"):
        assert secret not in clear and json.dumps(secret)[1:-1] not in clear, secret


async def test_the_encrypted_history_replays_through_the_codec() -> None:
    _, recorded = history()
    result = await replayer().replay_workflow(recorded)
    assert result.replay_failure is None
    assert len(recorded.events) > 100


async def test_without_the_newer_key_the_replay_fails(tmp_path: Path) -> None:
    _, recorded = history()
    only_aes = key_directory(tmp_path / "keys", TEST_AES_KEY)
    lacking = Replayer(
        workflows=[RectificationWorkflow],
        data_converter=data_converter(keys=only_aes),
        workflow_runner=SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)),
    )
    result = await lacking.replay_workflow(recorded, raise_on_replay_failure=False)
    # the workflow task fails on the codec's error (its message is itself an encoded failure; the
    # error's type is not): the key id is named in the error the worker logs (tests/unit/test_payload_codec.py)
    assert result.replay_failure is not None and "PayloadKeyError" in str(result.replay_failure)
