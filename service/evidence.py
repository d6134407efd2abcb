"""Evidence files (整改佐证材料) the web console uploads: which are accepted, kept, and served back.

A file is accepted only when its bytes are one of the types of ``EVIDENCE_TYPES`` (domain/evidence.py)
— a photo, a PDF, an Office document — whatever its name or the browser claims; the bytes are sniffed
(magic numbers; inside a ZIP for Word/Excel/PowerPoint, macros refused; the 97-2003 formats by their
``.doc``/``.xls`` name and stream), and a name whose extension says otherwise is refused (an ``.exe``
renamed ``.jpg``; an image extension on another image type is fine: phones save PNG and WebP as
``.jpg``). An image must decode within Pillow's ``Image.MAX_IMAGE_PIXELS`` (a decompression bomb is
refused) and gets a JPEG thumbnail of at most 320 px, EXIF orientation applied. The bytes are kept
by their SHA-256 (store/evidence.py); the ``EvidenceFile`` returned is what a command and its audit
event carry. ``download`` serves the bytes only when they still hash to the record's hash.

Refusals (``Refused``): ``too_large`` over PDCA_EVIDENCE_MAX_MB, ``invalid_evidence`` for the rest,
each worded in Chinese and English. Store failures are ``Unavailable``; a stored file that no longer
hashes to its key is ``CorruptEvidence`` (an administrator restores it from a backup).

Blocking (disk, S3, Pillow): a door on an event loop calls these in a thread (``asyncio.to_thread``).
Each takes the ``Deps`` of a request or just the ``Settings``.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from PIL import Image, ImageOps

from domain.evidence import EVIDENCE_TYPES, EvidenceFile
from service.errors import NotFound, Refused, Unavailable
from settings import Settings
from store.evidence import EvidenceCorrupt, EvidenceError, EvidenceMissing, EvidenceStore, evidence_store, is_sha256

if TYPE_CHECKING:
    from service.bootstrap import Deps

__all__ = ["THUMBNAIL_PX", "CorruptEvidence", "accept", "clean_name", "download", "sniff", "thumbnail"]

THUMBNAIL_PX = 320  # the long side
MAX_NAME = 255

JPEG, PNG, GIF, WEBP, PDF = "image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DOC, XLS = "application/msword", "application/vnd.ms-excel"

# the type each extension names (lower case); a name without an extension leaves it to the bytes
EXTENSIONS: dict[str, str] = {
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".jpe": JPEG,
    ".jfif": JPEG,
    ".png": PNG,
    ".gif": GIF,
    ".webp": WEBP,
    ".pdf": PDF,
    ".docx": DOCX,
    ".xlsx": XLSX,
    ".pptx": PPTX,
    ".doc": DOC,
    ".xls": XLS,
}
PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", GIF: "GIF", WEBP: "WEBP"}
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# an OLE2 file's streams by name (UTF-16 in its directory): what makes it a .doc or an .xls
OLE_STREAMS = {DOC: ("WordDocument",), XLS: ("Workbook", "Book")}
OOXML_PARTS = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}
ACCEPTED = "、".join(EVIDENCE_TYPES.values())
ACCEPTED_EN = "photos (JPEG, PNG, WebP, GIF), PDF, Word, Excel, PowerPoint (.docx/.xlsx/.pptx, or .doc/.xls)"


class CorruptEvidence(Unavailable):
    """A stored file no longer hashes to the hash the record keeps: never served; restore it from a backup."""


# ---------------------------------------------------------------------------------------------- names and types


def clean_name(name: str) -> str:
    """The name to record: the last part of a path (``/`` or ``\\``), control and format characters
    (a right-to-left override hiding ``.exe``) removed, at most 255 characters keeping the extension;
    Chinese and every other script kept. Empty when nothing usable is left."""
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Co", "Cn"}).strip()
    if name in {".", ".."}:
        return ""
    if len(name) > MAX_NAME:
        suffix = PurePosixPath(name).suffix
        suffix = suffix if len(suffix) <= 16 else ""
        name = name[: MAX_NAME - len(suffix)].rstrip() + suffix
    return name


def _extension(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def _office_zip(data: bytes) -> str | None:
    """Word, Excel or PowerPoint (OOXML) by the parts inside the ZIP; None for any other ZIP, and for
    one with macros (a ``vbaProject.bin``). Only the ZIP's directory is read: nothing is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None
    if "[Content_Types].xml" not in names or any(n.lower().endswith("vbaproject.bin") for n in names):
        return None
    kinds = {kind for prefix, kind in OOXML_PARTS.items() if any(n.startswith(prefix) for n in names)}
    return kinds.pop() if len(kinds) == 1 else None


def _ole(data: bytes, extension: str) -> str | None:
    """A Word or Excel 97-2003 file: the extension says which, and the file must hold that one's stream."""
    kind = EXTENSIONS.get(extension)
    if kind not in OLE_STREAMS:
        return None
    return kind if any(stream.encode("utf-16-le") in data for stream in OLE_STREAMS[kind]) else None


def sniff(data: bytes, extension: str = "") -> str | None:
    """The accepted type the bytes are (a key of ``EVIDENCE_TYPES``), or None. ``extension`` (``.doc``)
    only tells the two OLE2 types apart, which share their magic number."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return _office_zip(data)
    if data.startswith(OLE2):
        return _ole(data, extension.lower())
    return None


def _kind_agrees(extension: str, kind: str) -> bool:
    """No extension, or one naming this type (any image extension for an image); an unknown one
    (``.exe``, ``.html``) never: the name is what a downloader's computer opens the file by."""
    if not extension:
        return True
    named = EXTENSIONS.get(extension)
    return named == kind or (named is not None and named.startswith("image/") and kind.startswith("image/"))


# ---------------------------------------------------------------------------------------------- thumbnails


def _make_thumbnail(name: str, kind: str, data: bytes) -> bytes:
    """A JPEG of at most THUMBNAIL_PX on the long side; ``Refused`` when the image cannot be decoded or
    is larger than Pillow's ``Image.MAX_IMAGE_PIXELS`` (a decompression bomb)."""
    limit = Image.MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[kind]]) as image:
            width, height = image.size
            if limit is not None and width * height > limit:
                raise _too_many_pixels(name, width, height, limit)
            image.draft("RGB", (THUMBNAIL_PX, THUMBNAIL_PX))  # JPEG: decode at 1/2…1/8 scale, much less memory
            image.load()
            try:
                upright = ImageOps.exif_transpose(image)
            except Exception:  # a damaged EXIF block: the photo as it is stored
                upright = image
            upright.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            out = io.BytesIO()
            _flat_rgb(upright).save(out, "JPEG", quality=80, optimize=True)
            return out.getvalue()
    except Refused:
        raise
    except Image.DecompressionBombError:
        raise _too_many_pixels(name, 0, 0, limit) from None  # over twice the limit: Pillow refused before the size was known
    except Exception as error:  # Pillow's decoders raise many kinds on a damaged file
        raise Refused(
            f"图片 {name} 无法读取（{type(error).__name__}）/ image {name} cannot be read: {error}", code="invalid_evidence"
        ) from None


def _too_many_pixels(name: str, width: int, height: int, limit: int | None) -> Refused:
    zh, en = (f"（{width}×{height}）", f" ({width}×{height})") if width else ("", "")
    return Refused(
        f"图片 {name} 的像素数{zh}超过 {limit} 像素上限 / image {name} has more pixels{en} than the limit of {limit}",
        code="invalid_evidence",
    )


def _flat_rgb(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency onto white (a transparent PNG would turn black)."""
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


# ---------------------------------------------------------------------------------------------- the service


def _settings(deps_or_settings: Deps | Settings) -> Settings:
    settings = getattr(deps_or_settings, "settings", deps_or_settings)
    assert isinstance(settings, Settings)
    return settings


def _store(deps_or_settings: Deps | Settings) -> EvidenceStore:
    try:
        return evidence_store(_settings(deps_or_settings))
    except EvidenceError as error:
        raise Unavailable(f"证据存储不可用 / the evidence store is unavailable: {error}") from None


def accept(deps_or_settings: Deps | Settings, name: str, declared_type: str | None, data: bytes) -> EvidenceFile:
    """Check an uploaded file, keep it (and an image's thumbnail) and return what the record carries.

    ``declared_type`` is what the browser said; it is never trusted: the bytes decide the type."""
    settings = _settings(deps_or_settings)
    shown = clean_name(name)
    if not shown:
        raise Refused(f"文件名为空或无效：{name[:80]!r} / the file name is empty or invalid: {name[:80]!r}", code="invalid_evidence")
    if not data:
        raise Refused(f"文件 {shown} 是空的 / file {shown} is empty", code="invalid_evidence")
    limit = settings.evidence_max_mb
    if len(data) > limit * 1024 * 1024:
        raise Refused(f"文件 {shown} 超过 {limit} MB 上限 / file {shown} is over the {limit} MB limit", code="too_large")
    extension = _extension(shown)
    kind = sniff(data, extension)
    if kind is None or kind not in EVIDENCE_TYPES:
        raise Refused(
            f"文件 {shown} 不是可接受的证据类型（{ACCEPTED}）/ file {shown} is not an accepted evidence type: {ACCEPTED_EN}",
            code="invalid_evidence",
        )
    if not _kind_agrees(extension, kind):
        label, usual = EVIDENCE_TYPES[kind], next(e for e, k in EXTENSIONS.items() if k == kind)
        raise Refused(
            f"文件 {shown} 的内容是 {label}，与扩展名 {extension} 不符（应为 {usual}）/ "
            f"file {shown} holds {label} content, not what its extension {extension} says (it would be {usual})",
            code="invalid_evidence",
        )
    small = _make_thumbnail(shown, kind, data) if kind.startswith("image/") else None
    sha256 = hashlib.sha256(data).hexdigest()
    store = _store(settings)
    try:
        store.put(sha256, data)
        if small is not None:
            store.put_thumbnail(sha256, small)
    except EvidenceError as error:
        raise Unavailable(f"文件 {shown} 未能保存 / file {shown} could not be stored: {error}") from None
    return EvidenceFile(sha256=sha256, name=shown, type=kind, size=len(data))


def download(deps_or_settings: Deps | Settings, sha256: str) -> bytes:
    """The bytes of an evidence file, checked against its hash: ``NotFound``, or ``CorruptEvidence``
    when the stored bytes no longer hash to it (never served)."""
    if not is_sha256(sha256):
        raise NotFound(f"没有证据文件 {sha256[:80]!r} / no evidence file {sha256[:80]!r}: not a SHA-256 hash", sha256[:80])
    try:
        return _store(deps_or_settings).get(sha256)
    except EvidenceMissing:
        raise NotFound(f"没有证据文件 {sha256} / no evidence file {sha256}", sha256) from None
    except EvidenceCorrupt as error:
        raise CorruptEvidence(
            f"证据文件 {sha256} 已损坏，不予提供，请管理员从备份恢复 / evidence file {sha256} is corrupt and is not served; "
            f"an administrator must restore it from a backup ({error})",
            code="evidence_corrupt",
        ) from None
    except EvidenceError as error:
        raise Unavailable(f"证据文件 {sha256} 暂时无法读取 / evidence file {sha256} cannot be read now: {error}") from None


def thumbnail(deps_or_settings: Deps | Settings, sha256: str) -> bytes | None:
    """An image's JPEG thumbnail, or None (not an image, no such file, or a hash that is not one)."""
    if not is_sha256(sha256):
        return None
    try:
        return _store(deps_or_settings).get_thumbnail(sha256)
    except EvidenceError as error:
        raise Unavailable(f"缩略图 {sha256} 暂时无法读取 / the thumbnail of {sha256} cannot be read now: {error}") from None
