"""Evidence files as the record names them (pure): content-addressed by SHA-256.

A file uploaded as evidence (a photo of the meeting minutes, a PDF, an Office document) is stored by
its hash in the evidence store (store/evidence.py); the command that reports progress or completion
carries its ``EvidenceFile`` — hash, name, type and size — and so does the audit event, so the chain
proves the file: whoever downloads it can check the bytes against the hash the record keeps.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# The types a console accepts (the store checks the bytes, not just the name): photos, PDF, Office.
EVIDENCE_TYPES: dict[str, str] = {
    "image/jpeg": "照片 JPEG",
    "image/png": "图片 PNG",
    "image/webp": "图片 WebP",
    "image/gif": "图片 GIF",
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "application/msword": "Word 97-2003",
    "application/vnd.ms-excel": "Excel 97-2003",
}
MAX_FILES = 20  # per command


class EvidenceFile(BaseModel):
    """One evidence file: what the audit event keeps (the bytes stay in the evidence store)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sha256: str = Field(max_length=64, pattern=r"^[0-9a-f]{64}$")
    name: str = Field(min_length=1, max_length=255)
    type: str = Field(min_length=1, max_length=128)
    size: int = Field(ge=1)

    @property
    def is_image(self) -> bool:
        return self.type.startswith("image/")
