"""The evidence store's contract, run on both stores: the local directory and S3 (moto's server, started
here on 127.0.0.1 at a free port); then the S3 store behind the settings and the evidence service.

Without moto (the dev extra) the S3 tests skip, except under CI (``CI`` set), where a missing moto
must fail the run rather than hide it.
"""

from __future__ import annotations

import hashlib
import os
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from service import evidence
from service.errors import Unavailable
from settings import Settings, get_settings
from store.evidence import (
    EvidenceCorrupt,
    EvidenceError,
    EvidenceMissing,
    EvidenceStore,
    LocalEvidenceStore,
    S3EvidenceStore,
    evidence_store,
)
from tests.unit.test_evidence_store import PDF_BYTES, image_bytes

KEY, SECRET = "testing-access-key", "testing-secret-key"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def require_moto() -> Any:
    """moto's ThreadedMotoServer class; skip (or fail under CI) when moto or boto3 is not installed."""
    try:
        import boto3  # noqa: F401
        from moto.server import ThreadedMotoServer

        return ThreadedMotoServer
    except ImportError as error:
        message = f"moto[server] and boto3 are needed for the S3 evidence tests ({error}): pip install -e '.[dev]'"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; they are required under CI", pytrace=False)
    pytest.skip(f"{message}; under CI this is a failure")


def wait_until_answering(url: str, timeout: float = 30.0) -> None:
    """Poll the server until it answers HTTP at all (any status), up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # an answer, if not a 200
        except OSError as error:
            if time.monotonic() > deadline:
                raise TimeoutError(f"moto's server at {url} did not answer within {timeout} s: {error}") from error
            time.sleep(0.05)


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    server = require_moto()(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        wait_until_answering(url + "/moto-api/")
        yield url
    finally:
        server.stop()


def raw_client(url: str) -> Any:
    import boto3.session

    session = boto3.session.Session(aws_access_key_id=KEY, aws_secret_access_key=SECRET, region_name="us-east-1")
    return session.client("s3", endpoint_url=url)


def new_bucket() -> str:
    return f"evidence-{uuid.uuid4().hex[:16]}"


@dataclass(frozen=True)
class Subject:
    """A store under test, and how to damage what it keeps behind its back."""

    store: EvidenceStore
    tamper: Callable[[str, bytes], object]  # replace the bytes kept under a hash


def local_subject(root: Path) -> Subject:
    store = LocalEvidenceStore(root)
    return Subject(store, lambda key, data: store.path(key).write_bytes(data))


def s3_subject(url: str, bucket: str) -> Subject:
    store = S3EvidenceStore(url, bucket, "us-east-1", KEY, SECRET)
    client = raw_client(url)

    def tamper(key: str, data: bytes) -> None:  # the metadata still names the hash: only the bytes tell
        client.put_object(Bucket=bucket, Key=f"sha256/{key}", Body=data, Metadata={"sha256": key})

    return Subject(store, tamper)


@pytest.fixture(params=["local", "s3"])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Subject:
    if request.param == "local":
        return local_subject(tmp_path / "evidence")
    return s3_subject(request.getfixturevalue("s3_url"), new_bucket())


# ---------------------------------------------------------------------------------------------- the contract, both stores


def test_round_trip(subject: Subject) -> None:
    data = b"minutes of the branch meeting, " + "第一支部".encode()
    key = sha(data)
    assert not subject.store.exists(key)
    subject.store.put(key, data)
    assert subject.store.exists(key)
    assert subject.store.get(key) == data


def test_put_is_idempotent(subject: Subject) -> None:
    data = os.urandom(4096)
    key = sha(data)
    subject.store.put(key, data)
    subject.store.put(key, data)
    assert subject.store.get(key) == data


def test_put_refuses_bytes_that_do_not_hash_to_the_key(subject: Subject) -> None:
    with pytest.raises(EvidenceCorrupt):
        subject.store.put(sha(b"one"), b"two")
    assert not subject.store.exists(sha(b"one"))


def test_a_missing_file(subject: Subject) -> None:
    key = sha(b"never stored")
    with pytest.raises(EvidenceMissing):
        subject.store.get(key)
    assert not subject.store.exists(key)
    assert subject.store.get_thumbnail(key) is None


def test_damaged_bytes_are_detected_on_get(subject: Subject) -> None:
    data = b"the real evidence"
    key = sha(data)
    subject.store.put(key, data)
    subject.tamper(key, b"the forged evidence")
    with pytest.raises(EvidenceCorrupt, match=key):
        subject.store.get(key)


def test_thumbnails(subject: Subject) -> None:
    key = sha(b"a photo")
    assert subject.store.get_thumbnail(key) is None
    subject.store.put_thumbnail(key, b"small jpeg")
    assert subject.store.get_thumbnail(key) == b"small jpeg"


def test_a_key_that_is_not_a_hash_is_refused(subject: Subject) -> None:
    with pytest.raises(EvidenceError, match="not a SHA-256"):
        subject.store.get("../" + "0" * 61)
    with pytest.raises(EvidenceError, match="not a SHA-256"):
        subject.store.put_thumbnail("sha256/x", b"x")


# ---------------------------------------------------------------------------------------------- S3 only


def test_the_bucket_is_made_on_first_write_and_the_hash_kept_in_metadata(s3_url: str) -> None:
    bucket = new_bucket()
    store = S3EvidenceStore(s3_url, bucket, "eu-west-1", KEY, SECRET)
    data = b"first file of a new bucket"
    key = sha(data)
    assert not store.exists(key)  # no bucket yet: nothing in it
    store.put(key, data)
    head = raw_client(s3_url).head_object(Bucket=bucket, Key=f"sha256/{key}")
    assert head["Metadata"] == {"sha256": key}
    assert S3EvidenceStore(s3_url, bucket, "eu-west-1", KEY, SECRET).get(key) == data  # a second store: the bucket exists


def test_an_object_whose_metadata_names_another_hash_is_corrupt(s3_url: str) -> None:
    bucket = new_bucket()
    store = S3EvidenceStore(s3_url, bucket, "us-east-1", KEY, SECRET)
    data = b"evidence"
    key = sha(data)
    store.put(key, data)
    raw_client(s3_url).put_object(Bucket=bucket, Key=f"sha256/{key}", Body=data, Metadata={"sha256": sha(b"other")})
    with pytest.raises(EvidenceCorrupt, match="metadata"):
        store.get(key)
    store.put(key, data)  # the good copy replaces it
    assert store.get(key) == data


def test_the_settings_choose_s3_when_its_url_is_set(s3_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = new_bucket()
    monkeypatch.setenv("PDCA_HOME", str(tmp_path))
    monkeypatch.delenv("PDCA_EVIDENCE_DIR", raising=False)
    monkeypatch.setenv("PDCA_EVIDENCE_S3_URL", s3_url)
    monkeypatch.setenv("PDCA_EVIDENCE_S3_BUCKET", bucket)
    monkeypatch.setenv("PDCA_EVIDENCE_S3_KEY_ENV", "VILLAGE_S3_KEY")
    monkeypatch.setenv("PDCA_EVIDENCE_S3_SECRET_ENV", "VILLAGE_S3_SECRET")
    monkeypatch.setenv("VILLAGE_S3_KEY", KEY)
    monkeypatch.setenv("VILLAGE_S3_SECRET", SECRET)
    settings = get_settings()
    store = evidence_store(settings)
    assert isinstance(store, S3EvidenceStore)
    assert (store.endpoint_url, store.bucket) == (s3_url, bucket)

    photo = image_bytes("JPEG", (800, 600))
    file = evidence.accept(settings, "整改后.jpg", "image/jpeg", photo)
    assert evidence.download(settings, file.sha256) == photo
    assert evidence.thumbnail(settings, file.sha256) is not None
    assert evidence.thumbnail(settings, evidence.accept(settings, "a.pdf", None, PDF_BYTES).sha256) is None
    listed = raw_client(s3_url).list_objects_v2(Bucket=bucket)["Contents"]
    assert sorted(item["Key"] for item in listed) == sorted(
        [f"sha256/{file.sha256}", f"thumbs/{file.sha256}.jpg", f"sha256/{sha(PDF_BYTES)}"]
    )
    assert not (tmp_path / "evidence").exists()  # nothing written locally


def test_an_unreachable_s3_server_is_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_moto()
    import socket

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("PDCA_EVIDENCE_S3_ACCESS_KEY", KEY)
    monkeypatch.setenv("PDCA_EVIDENCE_S3_SECRET_KEY", SECRET)
    settings = Settings(home=tmp_path, evidence_s3_url=f"http://127.0.0.1:{port}")
    with pytest.raises(Unavailable, match=f"could not be stored: .*127.0.0.1:{port}"):
        evidence.accept(settings, "a.pdf", None, PDF_BYTES)
