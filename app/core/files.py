"""Stored files under the instance folder with generated names: upload checks, saving, paths, sending.

A stored file goes out as a download, or, for a PDF or picture, inline for preview (send_stored(inline=True)).
Either way its type comes from the stored name's extension, which was checked against the content's leading
bytes on upload, never from what the uploader's browser said; with nosniff the browser does not guess either.
The preview is opened as a page of its own (a "预览" link or an <img>): the site's CSP and X-Frame-Options
forbid framing, and stay as they are."""
from __future__ import annotations

import uuid
from pathlib import Path

from flask import abort, current_app, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

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


# The types a browser shows itself without running anything of the file's: PDF and pictures (no SVG: it scripts).
PREVIEWABLE = ("pdf", "jpg", "jpeg", "png")

_NAMES = {("pdf",): _l("PDF"), ("doc", "docx"): _l("Word"), ("jpg", "jpeg"): _l("JPG"), ("png",): _l("PNG")}


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


# Scans and photos of official papers (营业执照, the stamped 附件2): PDF or a picture, never an editable document.
SCAN_TYPES = PREVIEWABLE


def _accepted_names(allowed) -> str:
    return "、".join(str(name) for extensions, name in _NAMES.items() if set(extensions) & set(allowed))


def check_upload(filename: str, head: bytes, size: int, allowed: tuple[str, ...] | None = None,
                 limit: int | None = None) -> str:
    """The file's extension when it is an accepted type (of `allowed`, default all) and size (at most `limit` bytes,
    default ATTACHMENT_MAX_BYTES); else a ValidationError."""
    extension = Path(filename or "").suffix.lower().lstrip(".")
    if allowed is None:
        if extension not in ALLOWED_TYPES:
            raise ValidationError(_("只接受 PDF、Word、JPG、PNG 文件"))
    elif extension not in allowed:
        raise ValidationError(_("只接受 %(types)s 文件", types=_accepted_names(allowed)))
    if not any(head.startswith(sig) for sig in ALLOWED_TYPES[extension][1]):
        raise ValidationError(_("文件内容与扩展名不符"))
    limit = limit or current_app.config["ATTACHMENT_MAX_BYTES"]
    if size > limit:
        raise ValidationError(_("文件超过 %(mb)d MB 的上限", mb=limit // (1024 * 1024)))
    if size == 0:
        raise ValidationError(_("文件为空"))
    return extension


def save_file(storage, folder: str, allowed: tuple[str, ...] | None = None,
              limit: int | None = None) -> tuple[str, str, str, int]:
    """Check and store an uploaded file; returns (stored name, original name, content type, size)."""
    stream = storage.stream
    head = stream.read(16)
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    extension = check_upload(storage.filename, head, size, allowed, limit)
    stored_name = f"{folder}/{uuid.uuid4().hex}.{extension}"
    target = upload_root() / stored_name
    target.parent.mkdir(parents=True, exist_ok=True)
    storage.save(target)
    original = Path(storage.filename).name[:255] or f"file.{extension}"
    return stored_name, original, ALLOWED_TYPES[extension][0], size


def stored_path(stored_name: str) -> Path:
    return upload_root() / stored_name


def _extension(stored_name: str) -> str:
    return Path(stored_name or "").suffix.lower().lstrip(".")


def can_preview(stored_name: str | None) -> bool:
    """Whether the stored file is a PDF or picture the browser may show inline."""
    return _extension(stored_name) in PREVIEWABLE


def send_stored(stored_name: str, download_name: str, inline: bool = False):
    """The stored file as a download, or inline (PDF and pictures only: anything else is a 404 for preview)."""
    extension = _extension(stored_name)
    if extension not in ALLOWED_TYPES or (inline and extension not in PREVIEWABLE):
        abort(404)
    response = send_file(stored_path(stored_name), mimetype=ALLOWED_TYPES[extension][0], as_attachment=not inline,
                         download_name=download_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
