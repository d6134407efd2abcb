"""Recorded histories and the payload codec: histories recorded before the codec hold plain payloads
(they replay unchanged: decoding passes them through); those recorded since hold payloads encrypted
with the suite's fixed test keys (tests/payload_keys.py), and replay through the same codec.

    PASSTHROUGH                   add to the replayer's sandbox pass-through modules
    replay_converter()            the data converter replays use (the project's, with the test keys)
    start_input(text)             the first input of a history's start event, decrypted if need be, as JSON
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter

from store.payload_codec import PayloadKeys, data_converter, decrypt
from tests.payload_keys import PAYLOAD_KEY_DIR, TEST_AES_KEY, TEST_SM4_KEY, key_directory

# Modules the workflow sandbox must share rather than re-import when it validates a workflow class defined in
# a test module that imports them (they write the test keys at import).
PASSTHROUGH = ("tests.payload_keys", "tests.replay.payloads")


def replay_keys() -> PayloadKeys:
    """The fixed test keys (AES and SM4), whatever PDCA_PAYLOAD_KEY_DIR holds."""
    return key_directory(PAYLOAD_KEY_DIR.parent / (PAYLOAD_KEY_DIR.name + "-replay"), TEST_AES_KEY, TEST_SM4_KEY)


def replay_converter() -> DataConverter:
    return data_converter(keys=replay_keys())


def start_input(text: str) -> dict[str, Any]:
    """The workflow's input (its first argument) as recorded in the history JSON ``text``."""
    started = json.loads(text)["events"][0]["workflowExecutionStartedEventAttributes"]
    payload = json_format.ParseDict(started["input"]["payloads"][0], Payload())
    value: dict[str, Any] = json.loads(decrypt(payload, replay_keys()).data)
    return value
