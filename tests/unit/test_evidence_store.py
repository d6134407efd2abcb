"""The local evidence store (store/evidence.py) and the evidence service (service/evidence.py): files kept
by SHA-256, checked on every read, private on disk; uploads sniffed, refused with a bilingual reason,
images thumbnailed. The S3 store runs the same store contract in tests/integration/test_evidence_s3.py.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import struct
import sys
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from domain.evidence import EVIDENCE_TYPES, EvidenceFile
from service import evidence
from service.bootstrap import Deps
from service.errors import NotFound, Refused, ServiceError, Unavailable
from settings import Settings
from store.evidence import (
    EvidenceCorrupt,
    EvidenceError,
    EvidenceMissing,
    LocalEvidenceStore,
    S3EvidenceStore,
    evidence_store,
)

# ---------------------------------------------------------------------------------------------- sample files


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def image_bytes(fmt: str, size: tuple[int, int] = (640, 480), mode: str = "RGB", orientation: int | None = None) -> bytes:
    image = Image.new(mode, size, "red" if mode != "RGBA" else (255, 0, 0, 128))
    out = io.BytesIO()
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return out.getvalue()


def ooxml(folder: str, *extra: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}/document.xml", "<doc/>")
        for name in extra:
            archive.writestr(name, b"\0")
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/readme.txt", "a ZIP with a word/ folder is not a Word document")
    return out.getvalue()


def ole(*streams: str) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + b"".join(s.encode("utf-16-le") + b"\0\0" for s in streams) + b"\0" * 512


def png_header_only(width: int, height: int) -> bytes:
    """A PNG claiming width×height pixels in a few bytes: the decompression bomb's header."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\0" * 200

ACCEPTED = [
    pytest.param("整改照片.jpg", image_bytes("JPEG"), "image/jpeg", id="jpeg"),
    pytest.param("会场.png", image_bytes("PNG"), "image/png", id="png"),
    pytest.param("a.gif", image_bytes("GIF"), "image/gif", id="gif"),
    pytest.param("a.webp", image_bytes("WEBP"), "image/webp", id="webp"),
    pytest.param("会议记录.pdf", PDF_BYTES, "application/pdf", id="pdf"),
    pytest.param("整改方案.docx", ooxml("word"), evidence.DOCX, id="docx"),
    pytest.param("台账.xlsx", ooxml("xl"), evidence.XLSX, id="xlsx"),
    pytest.param("汇报.pptx", ooxml("ppt"), evidence.PPTX, id="pptx"),
    pytest.param("旧方案.DOC", ole("Root Entry", "WordDocument"), "application/msword", id="doc"),
    pytest.param("旧台账.xls", ole("Root Entry", "Workbook"), "application/vnd.ms-excel", id="xls"),
    pytest.param("无扩展名", PDF_BYTES, "application/pdf", id="no-extension"),
    pytest.param("phone.jpg", image_bytes("PNG"), "image/png", id="png-saved-as-jpg"),
]


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def umask() -> Iterator[None]:
    """A permissive umask, so the modes checked are the store's own and not the umask's."""
    old = os.umask(0o002)
    yield
    os.umask(old)


@pytest.fixture
def store(tmp_path: Path) -> LocalEvidenceStore:
    return LocalEvidenceStore(tmp_path / "evidence")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, evidence_dir=tmp_path / "evidence", evidence_s3_url=None, evidence_max_mb=1)


def stored_files(settings: Settings) -> list[Path]:
    return sorted(p for p in settings.evidence_path.rglob("*") if p.is_file()) if settings.evidence_path.exists() else []


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------------------------------------- the local store


def test_round_trip_fans_out_by_hash(store: LocalEvidenceStore) -> None:
    data = b"minutes of the branch meeting"
    key = sha(data)
    assert not store.exists(key)
    store.put(key, data)
    assert store.exists(key)
    assert store.get(key) == data
    assert (store.root / key[:2] / key[2:4] / key).read_bytes() == data


def test_put_is_idempotent_and_leaves_no_temporary_files(store: LocalEvidenceStore) -> None:
    data = b"x" * 1000
    key = sha(data)
    store.put(key, data)
    first = store.path(key).stat()
    store.put(key, data)
    assert store.path(key).stat().st_ino == first.st_ino  # not rewritten
    assert store.get(key) == data
    assert [p.name for p in store.root.rglob("*") if p.is_file()] == [key]


def test_put_refuses_bytes_that_do_not_hash_to_the_key(store: LocalEvidenceStore) -> None:
    with pytest.raises(EvidenceCorrupt):
        store.put(sha(b"one"), b"two")
    assert not store.exists(sha(b"one"))


def test_a_damaged_file_is_detected_on_get_and_healed_by_put(store: LocalEvidenceStore) -> None:
    data = b"the real evidence"
    key = sha(data)
    store.put(key, data)
    store.path(key).write_bytes(b"the real evidencE")
    with pytest.raises(EvidenceCorrupt, match=key):
        store.get(key)
    store.put(key, data)
    assert store.get(key) == data


def test_a_missing_file(store: LocalEvidenceStore) -> None:
    key = sha(b"never stored")
    with pytest.raises(EvidenceMissing):
        store.get(key)
    assert store.get_thumbnail(key) is None
    assert not store.exists(key)


@pytest.mark.parametrize("key", ["../../etc/passwd", "A" * 64, "ab", "0" * 63 + "/"])
def test_a_key_that_is_not_a_hash_is_never_a_path(store: LocalEvidenceStore, key: str) -> None:
    for call in (store.get, store.exists, store.get_thumbnail):
        with pytest.raises(EvidenceError, match="not a SHA-256"):
            call(key)
    with pytest.raises(EvidenceError, match="not a SHA-256"):
        store.put(key, b"x")


def test_directories_0700_and_files_0600(store: LocalEvidenceStore, umask: None) -> None:
    data = b"private"
    key = sha(data)
    store.put(key, data)
    store.put_thumbnail(key, b"jpeg")
    for directory in (store.root, store.root / key[:2], store.root / key[:2] / key[2:4], store.root / "thumbs"):
        assert mode(directory) == 0o700, directory
    assert mode(store.path(key)) == 0o600
    assert mode(store.thumbnail_path(key)) == 0o600


def test_thumbnails(store: LocalEvidenceStore) -> None:
    key = sha(b"photo")
    assert store.get_thumbnail(key) is None
    store.put_thumbnail(key, b"small")
    assert store.thumbnail_path(key) == store.root / "thumbs" / f"{key}.jpg"
    assert store.get_thumbnail(key) == b"small"
    store.put_thumbnail(key, b"smaller")
    assert store.get_thumbnail(key) == b"smaller"


def test_the_settings_choose_the_local_store_by_default(settings: Settings) -> None:
    chosen = evidence_store(settings)
    assert isinstance(chosen, LocalEvidenceStore)
    assert chosen.root == settings.evidence_path


def test_without_boto3_the_s3_store_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    monkeypatch.setitem(sys.modules, "boto3.session", None)
    with pytest.raises(EvidenceError, match=r"pip install 'pdca-rectification\[s3\]'"):
        S3EvidenceStore("http://127.0.0.1:9", "bucket", "us-east-1", "key", "secret")


# ---------------------------------------------------------------------------------------------- accepting uploads


@pytest.mark.parametrize(("name", "data", "kind"), ACCEPTED)
def test_accepted_types_are_decided_by_the_bytes(settings: Settings, name: str, data: bytes, kind: str) -> None:
    file = evidence.accept(settings, name, "application/octet-stream", data)
    assert file == EvidenceFile(sha256=sha(data), name=name, type=kind, size=len(data))
    assert kind in EVIDENCE_TYPES
    assert evidence.download(settings, file.sha256) == data
    small = evidence.thumbnail(settings, file.sha256)
    if file.is_image:
        assert small is not None
        with Image.open(io.BytesIO(small)) as image:
            assert image.format == "JPEG"
            assert max(image.size) <= evidence.THUMBNAIL_PX
    else:
        assert small is None


def test_the_declared_type_is_not_trusted(settings: Settings) -> None:
    assert evidence.accept(settings, "scan.pdf", "image/jpeg", PDF_BYTES).type == "application/pdf"


def test_the_thumbnail_is_upright_and_at_most_320_px(settings: Settings) -> None:
    # stored 640×320 landscape, EXIF orientation 6: shown rotated, 320×640 portrait
    file = evidence.accept(settings, "竖拍.jpg", None, image_bytes("JPEG", (640, 320), orientation=6))
    small = evidence.thumbnail(settings, file.sha256)
    assert small is not None
    with Image.open(io.BytesIO(small)) as image:
        assert image.size == (160, 320)


def test_a_transparent_png_gets_a_white_background(settings: Settings) -> None:
    file = evidence.accept(settings, "logo.png", None, image_bytes("PNG", (100, 50), mode="RGBA"))
    small = evidence.thumbnail(settings, file.sha256)
    assert small is not None
    with Image.open(io.BytesIO(small)) as image:
        assert image.size == (100, 50)  # never enlarged
        red, green, blue = image.convert("RGB").getpixel((50, 25))  # type: ignore[misc]
        assert red > 200 and 100 < green < 160 and 100 < blue < 160  # half-transparent red on white


def test_the_same_file_twice_is_one_file(settings: Settings) -> None:
    data = image_bytes("JPEG")
    first = evidence.accept(settings, "a.jpg", None, data)
    second = evidence.accept(settings, "b.jpg", None, data)
    assert first.sha256 == second.sha256 and second.name == "b.jpg"
    assert len(stored_files(settings)) == 2  # the file and its thumbnail


def test_a_deps_is_accepted_as_well_as_settings(settings: Settings) -> None:
    deps = Deps(settings=settings, database_url="sqlite://")
    file = evidence.accept(deps, "a.pdf", None, PDF_BYTES)
    assert evidence.download(deps, file.sha256) == PDF_BYTES


REFUSED = [
    pytest.param("a.jpg", b"", "invalid_evidence", ["文件 a.jpg 是空的", "file a.jpg is empty"], id="empty"),
    pytest.param(
        "大.pdf",
        PDF_BYTES + b"\0" * (1024 * 1024),
        "too_large",
        ["文件 大.pdf 超过 1 MB 上限", "file 大.pdf is over the 1 MB limit"],
        id="too-large",
    ),
    pytest.param(
        "setup.exe", EXE_BYTES, "invalid_evidence", ["不是可接受的证据类型", "照片 JPEG", "not an accepted evidence type"], id="exe"
    ),
    pytest.param(
        "photo.jpg", EXE_BYTES, "invalid_evidence", ["不是可接受的证据类型", "not an accepted evidence type"], id="exe-renamed-jpg"
    ),
    pytest.param("notes.pdf", b"just some text, not a PDF", "invalid_evidence", ["not an accepted evidence type"], id="text-as-pdf"),
    pytest.param(
        "photo.jpg",
        PDF_BYTES,
        "invalid_evidence",
        ["内容是 PDF，与扩展名 .jpg 不符（应为 .pdf）", "its extension .jpg says"],
        id="pdf-renamed-jpg",
    ),
    pytest.param("photo.exe", image_bytes("JPEG"), "invalid_evidence", ["与扩展名 .exe 不符", "its extension .exe"], id="jpeg-named-exe"),
    pytest.param("page.html", image_bytes("PNG"), "invalid_evidence", ["与扩展名 .html 不符"], id="png-named-html"),
    pytest.param("方案.docx", ooxml("xl"), "invalid_evidence", ["内容是 Excel，与扩展名 .docx 不符"], id="xlsx-named-docx"),
    pytest.param("archive.docx", plain_zip(), "invalid_evidence", ["not an accepted evidence type"], id="zip-named-docx"),
    pytest.param(
        "macros.docx", ooxml("word", "word/vbaProject.bin"), "invalid_evidence", ["not an accepted evidence type"], id="docm-as-docx"
    ),
    pytest.param("slides.ppt", ole("PowerPoint Document"), "invalid_evidence", ["not an accepted evidence type"], id="ppt"),
    pytest.param("fake.doc", ole("Root Entry"), "invalid_evidence", ["not an accepted evidence type"], id="ole-without-word-stream"),
    pytest.param("fake.xls", ole("WordDocument"), "invalid_evidence", ["not an accepted evidence type"], id="doc-named-xls"),
    pytest.param(
        "broken.png",
        image_bytes("PNG")[:60],
        "invalid_evidence",
        ["图片 broken.png 无法读取", "image broken.png cannot be read"],
        id="truncated",
    ),
    pytest.param(
        "bomb.png",
        png_header_only(100_000, 100_000),
        "invalid_evidence",
        ["图片 bomb.png 的像素数", "超过", "image bomb.png has more pixels", "than the limit of"],
        id="decompression-bomb",
    ),
    pytest.param("", PDF_BYTES, "invalid_evidence", ["文件名为空或无效", "the file name is empty or invalid"], id="no-name"),
    pytest.param("uploads/", PDF_BYTES, "invalid_evidence", ["文件名为空"], id="directory-name"),
    pytest.param("..", PDF_BYTES, "invalid_evidence", ["文件名为空"], id="dot-dot"),
]


@pytest.mark.parametrize(("name", "data", "code", "words"), REFUSED)
def test_refusals_say_why_in_both_languages_and_keep_nothing(
    settings: Settings, name: str, data: bytes, code: str, words: list[str]
) -> None:
    with pytest.raises(Refused) as refused:
        evidence.accept(settings, name, "image/jpeg", data)
    assert refused.value.code == code
    for word in words:
        assert word in refused.value.message
    assert stored_files(settings) == []


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_an_image_over_max_image_pixels_is_refused(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    with pytest.raises(
        Refused, match=r"像素数（120×100）超过 10000 像素上限 / .* more pixels \(120×100\) than the limit of 10000"
    ) as refused:
        evidence.accept(settings, "big.png", None, image_bytes("PNG", (120, 100)))
    assert refused.value.code == "invalid_evidence"
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\Users\\书记\\Desktop\\整改照片.jpg", "整改照片.jpg"),
        ("a\x00b\nc\td.jpg", "abcd.jpg"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # a right-to-left override hiding .exe
        ("  第一支部 会议记录.pdf  ", "第一支部 会议记录.pdf"),
        ("党" * 300 + ".pdf", "党" * 251 + ".pdf"),
        ("cafe\u0301.jpg", "café.jpg"),  # NFC
        ("/", ""),
        ("..", ""),
    ],
)
def test_names_are_cleaned(given: str, kept: str) -> None:
    assert evidence.clean_name(given) == kept
    assert len(evidence.clean_name(given)) <= 255


def test_the_record_keeps_the_cleaned_name(settings: Settings) -> None:
    file = evidence.accept(settings, "../../村委会/照片\x07.jpg", None, image_bytes("JPEG"))
    assert file.name == "照片.jpg"


def test_a_store_that_cannot_be_written_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "not-a-directory").write_text("")
    settings = Settings(home=tmp_path, evidence_dir=tmp_path / "not-a-directory", evidence_s3_url=None)
    with pytest.raises(Unavailable, match="could not be stored"):
        evidence.accept(settings, "a.pdf", None, PDF_BYTES)


# ---------------------------------------------------------------------------------------------- downloads


def test_download_of_an_unknown_hash_is_not_found(settings: Settings) -> None:
    with pytest.raises(NotFound, match="no evidence file"):
        evidence.download(settings, sha(b"never uploaded"))
    with pytest.raises(NotFound, match="not a SHA-256 hash"):
        evidence.download(settings, "../../etc/passwd")
    assert evidence.thumbnail(settings, "../../etc/passwd") is None
    assert evidence.thumbnail(settings, sha(b"never uploaded")) is None


def test_a_corrupt_file_is_never_served(settings: Settings) -> None:
    file = evidence.accept(settings, "a.pdf", None, PDF_BYTES)
    path = LocalEvidenceStore(settings.evidence_path).path(file.sha256)
    path.write_bytes(PDF_BYTES.replace(b"Catalog", b"Catalox"))
    with pytest.raises(evidence.CorruptEvidence) as corrupt:
        evidence.download(settings, file.sha256)
    assert isinstance(corrupt.value, ServiceError)
    assert corrupt.value.code == "evidence_corrupt"
    assert "已损坏" in corrupt.value.message and "is corrupt and is not served" in corrupt.value.message
