"""The evidence store: evidence files kept by their SHA-256, on a local disk or an S3-compatible server.

    local (PDCA_EVIDENCE_DIR, default $PDCA_HOME/evidence)
        <root>/ab/cd/<sha256>          the file's bytes (fanned out by the hash's first two bytes)
        <root>/thumbs/<sha256>.jpg     a small JPEG for an image (made by service/evidence.py)
        directories 0700, files 0600, every write atomic (a temporary file, fsync, rename)
    S3 (PDCA_EVIDENCE_S3_URL, bucket PDCA_EVIDENCE_S3_BUCKET; needs the [s3] extra)
        sha256/<sha256>                the file's bytes, with its hash in the object's metadata
        thumbs/<sha256>.jpg            the thumbnail

I/O only: which files are accepted, and how a thumbnail is made, is the service's (service/evidence.py).
The key is the hash, so a ``put`` is idempotent, and every ``get`` checks the bytes read against it:
a damaged or replaced file is ``EvidenceCorrupt``, never served. A thumbnail is derived, not evidence,
and is not checked. The record keeps each file's ``EvidenceFile`` (domain/evidence.py).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

from settings import Settings, secret

__all__ = [
    "EvidenceCorrupt",
    "EvidenceError",
    "EvidenceMissing",
    "EvidenceStore",
    "LocalEvidenceStore",
    "S3EvidenceStore",
    "evidence_store",
    "is_sha256",
]

_SHA256 = re.compile(r"[0-9a-f]{64}")
S3_EXTRA = "pip install 'pdca-rectification[s3]'"


class EvidenceError(Exception):
    """The evidence store could not do what was asked (unreachable, unreadable, misconfigured)."""


class EvidenceMissing(EvidenceError):
    """No file with this hash in the store."""


class EvidenceCorrupt(EvidenceError):
    """The bytes stored under a hash do not hash to it: damaged or replaced, never to be served."""


def is_sha256(value: str) -> bool:
    """A SHA-256 hash as the store keys it: 64 lower-case hex digits (and so never a path)."""
    return _SHA256.fullmatch(value) is not None


def _key(sha256: str) -> str:
    if not is_sha256(sha256):
        raise EvidenceError(f"not a SHA-256 hash (64 lower-case hex digits): {sha256[:80]!r}")
    return sha256


def _check(sha256: str, data: bytes, where: str) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise EvidenceCorrupt(f"evidence {sha256} at {where} is corrupt: its {len(data)} bytes hash to {actual}")


class EvidenceStore(Protocol):
    """Where evidence files are kept, by hash."""

    def put(self, sha256: str, data: bytes) -> None:
        """Keep ``data`` under its hash (``EvidenceCorrupt`` if it does not hash to ``sha256``); again is a no-op."""
        ...

    def get(self, sha256: str) -> bytes:
        """The bytes kept under ``sha256``: ``EvidenceMissing`` if none, ``EvidenceCorrupt`` if they do not hash to it."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def put_thumbnail(self, sha256: str, data: bytes) -> None: ...

    def get_thumbnail(self, sha256: str) -> bytes | None:
        """The thumbnail of an image's file, or None when there is none."""
        ...


# ---------------------------------------------------------------------------------------------- local


def _private_directory(directory: Path) -> None:
    directory.mkdir(mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)  # the umask may have taken bits away; an existing directory keeps its own


def _write_atomically(path: Path, data: bytes) -> None:
    """``data`` at ``path`` (0600), all or nothing: a crash leaves the old file or none, never half of one."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # 0600, a unique name
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)


class LocalEvidenceStore:
    """Evidence files in a directory of this machine (readable by its owner only)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        key = _key(sha256)
        return self.root / key[:2] / key[2:4] / key

    def thumbnail_path(self, sha256: str) -> Path:
        return self.root / "thumbs" / f"{_key(sha256)}.jpg"

    def _directories(self, directory: Path) -> None:
        """The root and each directory under it down to ``directory``, all 0700."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        current = self.root
        _private_directory(current)
        for part in directory.relative_to(self.root).parts:
            current = current / part
            _private_directory(current)

    def put(self, sha256: str, data: bytes) -> None:
        path = self.path(sha256)
        _check(sha256, data, "upload")
        try:
            if path.is_file():
                try:
                    self.get(sha256)
                    return  # already kept, intact
                except EvidenceCorrupt:
                    pass  # a damaged copy: the good bytes replace it
            self._directories(path.parent)
            _write_atomically(path, data)
        except OSError as error:
            raise EvidenceError(f"evidence {sha256} cannot be written to {path}: {error}") from error

    def get(self, sha256: str) -> bytes:
        path = self.path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise EvidenceMissing(f"no evidence {sha256} in {self.root}") from None
        except OSError as error:
            raise EvidenceError(f"evidence {sha256} cannot be read from {path}: {error}") from error
        _check(sha256, data, str(path))
        return data

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put_thumbnail(self, sha256: str, data: bytes) -> None:
        path = self.thumbnail_path(sha256)
        try:
            self._directories(path.parent)
            _write_atomically(path, data)
        except OSError as error:
            raise EvidenceError(f"the thumbnail of {sha256} cannot be written to {path}: {error}") from error

    def get_thumbnail(self, sha256: str) -> bytes | None:
        path = self.thumbnail_path(sha256)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise EvidenceError(f"the thumbnail of {sha256} cannot be read from {path}: {error}") from error


# ---------------------------------------------------------------------------------------------- S3

_ABSENT = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket"})


class S3EvidenceStore:
    """Evidence files in a bucket of an S3-compatible server (MinIO, Ceph, a cloud's object storage).

    ``access_key``/``secret_key`` None: boto3's own search (AWS_* variables, ~/.aws, an instance role).
    The bucket is made on the first write when it does not exist."""

    def __init__(self, endpoint_url: str, bucket: str, region: str, access_key: str | None, secret_key: str | None) -> None:
        try:
            import boto3.session
            from botocore.config import Config
            from botocore.exceptions import BotoCoreError, ClientError
        except ImportError as error:
            raise EvidenceError(f"the S3 evidence store (PDCA_EVIDENCE_S3_URL) needs boto3: install the [s3] extra, {S3_EXTRA}") from error
        options: dict[str, Any] = {"signature_version": "s3v4", "s3": {"addressing_style": "path"}, "retries": {"max_attempts": 3}}
        if "request_checksum_calculation" in Config.OPTION_DEFAULTS:
            # boto3 ≥ 1.36 adds CRC checksums many S3-compatible servers refuse; Content-MD5 and the
            # hash check on every get protect the bytes instead
            options |= {"request_checksum_calculation": "when_required", "response_checksum_validation": "when_required"}
        session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region)
        self.endpoint_url = endpoint_url
        self.bucket = bucket
        self.region = region
        self._client: Any = session.client("s3", endpoint_url=endpoint_url, config=Config(**options))
        self._client_error: type[Exception] = ClientError
        self._failures: tuple[type[Exception], ...] = (ClientError, BotoCoreError)
        self._bucket_ready = False

    def _where(self, key: str) -> str:
        return f"{self.endpoint_url.rstrip('/')}/{self.bucket}/{key}"

    def _absent(self, error: Exception) -> bool:
        return isinstance(error, self._client_error) and str(getattr(error, "response", {}).get("Error", {}).get("Code")) in _ABSENT

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except self._failures as error:
            if self._absent(error):
                self._create_bucket()
            elif not isinstance(error, self._client_error):  # no answer at all
                raise EvidenceError(f"the evidence bucket {self.bucket} at {self.endpoint_url} cannot be reached: {error}") from error
            # else (403 without s3:ListBucket, say): the bucket may still be writable; the write will tell
        self._bucket_ready = True

    def _create_bucket(self) -> None:
        arguments: dict[str, Any] = {"Bucket": self.bucket}
        if self.region != "us-east-1":
            arguments["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self._client.create_bucket(**arguments)
        except self._failures as error:
            code = str(getattr(error, "response", {}).get("Error", {}).get("Code"))
            if code != "BucketAlreadyOwnedByYou":  # made meanwhile by another process of ours
                raise EvidenceError(f"the evidence bucket {self.bucket} cannot be created at {self.endpoint_url}: {error}") from error

    def _put(self, key: str, data: bytes, content_type: str, metadata: dict[str, str]) -> None:
        self._ensure_bucket()
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()  # the server checks the upload
        try:
            self._client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, ContentMD5=md5, Metadata=metadata)
        except self._failures as error:
            raise EvidenceError(f"{self._where(key)} cannot be written: {error}") from error

    def _read(self, key: str) -> tuple[bytes, dict[str, str]] | None:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=key)
            return response["Body"].read(), dict(response.get("Metadata") or {})
        except self._failures as error:
            if self._absent(error):
                return None
            raise EvidenceError(f"{self._where(key)} cannot be read: {error}") from error

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return dict(self._client.head_object(Bucket=self.bucket, Key=key))
        except self._failures as error:
            if self._absent(error):
                return None
            raise EvidenceError(f"{self._where(key)} cannot be read: {error}") from error

    def put(self, sha256: str, data: bytes) -> None:
        key = f"sha256/{_key(sha256)}"
        _check(sha256, data, "upload")
        head = self._head(key)
        if head and (head.get("Metadata") or {}).get("sha256") == sha256 and head.get("ContentLength") == len(data):
            return  # already kept (its bytes are checked on every get)
        self._put(key, data, "application/octet-stream", {"sha256": sha256})

    def get(self, sha256: str) -> bytes:
        key = f"sha256/{_key(sha256)}"
        found = self._read(key)
        if found is None:
            raise EvidenceMissing(f"no evidence {sha256} at {self._where('sha256/')}")
        data, metadata = found
        if metadata.get("sha256") != sha256:
            raise EvidenceCorrupt(f"evidence {sha256} at {self._where(key)} is corrupt: its metadata names {metadata.get('sha256')!r}")
        _check(sha256, data, self._where(key))
        return data

    def exists(self, sha256: str) -> bool:
        return self._head(f"sha256/{_key(sha256)}") is not None

    def put_thumbnail(self, sha256: str, data: bytes) -> None:
        self._put(f"thumbs/{_key(sha256)}.jpg", data, "image/jpeg", {"sha256": sha256})

    def get_thumbnail(self, sha256: str) -> bytes | None:
        found = self._read(f"thumbs/{_key(sha256)}.jpg")
        return None if found is None else found[0]


def evidence_store(settings: Settings) -> EvidenceStore:
    """The store the settings name: S3 when PDCA_EVIDENCE_S3_URL is set (its keys read now from the
    variables PDCA_EVIDENCE_S3_KEY_ENV/SECRET_ENV name, never kept in settings), else the directory."""
    if settings.evidence_s3_url:
        return S3EvidenceStore(
            settings.evidence_s3_url,
            settings.evidence_s3_bucket,
            settings.evidence_s3_region,
            secret(settings.evidence_s3_key_env),
            secret(settings.evidence_s3_secret_env),
        )
    return LocalEvidenceStore(settings.evidence_path)
