"""The suite's Temporal payload keys (store/payload_codec.py): fixed, test-only keys, so that a history
recorded under them (tests/replay/histories/encrypted/) replays in any later run.

Importing this module (tests/conftest.py does) writes the AES key into a temporary directory named by
PDCA_PAYLOAD_KEY_DIR for every client and worker the suite starts in this process and its children; a real
`pdca up` started by tests/stack_driver.py does not inherit it (it makes its own key in its PDCA_HOME).
These keys protect nothing: never use them outside tests.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from store.keys import private_directory, write_private
from store.payload_codec import PayloadKey, PayloadKeys

TEST_AES_KEY = PayloadKey(
    kid="0000test0aes0256",
    cipher="aes-256-gcm",
    secret=bytes.fromhex("7c1f0e2d3b4a59687786a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"),
    created="2026-01-01T00:00:00+00:00",
)
TEST_SM4_KEY = PayloadKey(
    kid="0000test0sm4gcm0",
    cipher="sm4-gcm",
    secret=bytes.fromhex("0123456789abcdeffedcba9876543210"),
    created="2026-01-02T00:00:00+00:00",
)


def key_directory(directory: Path, *keys: PayloadKey) -> PayloadKeys:
    """A key directory holding ``keys`` (default: the AES test key), 0700 with 0600 files."""
    private_directory(directory)
    for key in keys or (TEST_AES_KEY,):
        write_private(directory / f"{key.kid}.json", key.file_text())
    return PayloadKeys(directory)


PAYLOAD_KEY_DIR = Path(os.environ.get("PDCA_TEST_PAYLOAD_KEY_DIR") or tempfile.mkdtemp(prefix="pdca-test-payload-keys-"))
key_directory(PAYLOAD_KEY_DIR)
os.environ["PDCA_PAYLOAD_KEY_DIR"] = str(PAYLOAD_KEY_DIR)
os.environ["PDCA_TEST_PAYLOAD_KEY_DIR"] = str(PAYLOAD_KEY_DIR)  # child processes use the same keys
