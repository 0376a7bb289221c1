"""Stored files under the instance folder with generated names: upload checks, saving, paths."""
from __future__ import annotations

import uuid
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from app.core.errors import ValidationError

# Extension → (content type, accepted leading bytes). The signature check stops a renamed executable.
ALLOWED_TYPES = {
    "pdf": ("application/pdf", (b"%PDF",)),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


# Scans and photos of official papers (营业执照): PDF or an image, never an editable document.
SCAN_TYPES = ("pdf", "jpg", "jpeg", "png")


def check_upload(filename: str, head: bytes, size: int, kinds: tuple[str, ...] | None = None,
                 limit: int | None = None) -> str:
    """The file's extension when it is an accepted type (of `kinds`, else any) and size; otherwise a ValidationError."""
    extension = Path(filename or "").suffix.lower().lstrip(".")
    if kinds is not None and extension not in kinds:
        raise ValidationError(_("只接受 PDF、JPG、PNG 文件"))
    if extension not in ALLOWED_TYPES:
        raise ValidationError(_("只接受 PDF、Word、JPG、PNG 文件"))
    if not any(head.startswith(sig) for sig in ALLOWED_TYPES[extension][1]):
        raise ValidationError(_("文件内容与扩展名不符"))
    limit = limit or current_app.config["ATTACHMENT_MAX_BYTES"]
    if size > limit:
        raise ValidationError(_("文件超过 %(mb)d MB 的上限", mb=limit // (1024 * 1024)))
    if size == 0:
        raise ValidationError(_("文件为空"))
    return extension


def save_file(storage, folder: str, kinds: tuple[str, ...] | None = None,
              limit: int | None = None) -> tuple[str, str, str, int]:
    """Check and store an uploaded file; returns (stored name, original name, content type, size)."""
    stream = storage.stream
    head = stream.read(16)
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    extension = check_upload(storage.filename, head, size, kinds, limit)
    stored_name = f"{folder}/{uuid.uuid4().hex}.{extension}"
    target = upload_root() / stored_name
    target.parent.mkdir(parents=True, exist_ok=True)
    storage.save(target)
    original = Path(storage.filename).name[:255] or f"file.{extension}"
    return stored_name, original, ALLOWED_TYPES[extension][0], size


def stored_path(stored_name: str) -> Path:
    return upload_root() / stored_name
