"""Uploaded files: which we accept, how big, under what name they are stored, how they go back.

- **Type by content.** The first bytes decide (magic numbers, read by the `filetype` library),
  never the name or the browser's Content-Type: a renamed `.exe` is refused as an executable.
  Binary kinds accepted: PDF, PNG, JPEG, WebP. Text (CSV, plain) is accepted only for evidence
  and imports, only as UTF-8 without NUL bytes, and never when it starts like markup (HTML,
  SVG, XML): a browser could be talked into running it.
- **Size.** `settings.UPLOAD_MAX_BYTES` (10 MB unless set), refused with the file's name and
  both sizes in the message.
- **Stored names are random** (`RandomName`, a uuid4 and the extension of the type found in the
  content); the uploader's name is kept in a separate field, for display and the download's
  filename only.
- **Checked three times, one function**: forms call `check_upload` in `clean_*` (a form error),
  services call it before saving (the contract for any caller), and the model fields carry
  `validate_evidence` / `validate_image` (ModelForms, the admin, `full_clean`).
- **Never served from MEDIA_URL.** Files go back only through a view that found their row with
  `visible_to(scope)`, as `file_download`: an attachment (images may be inline), the type found
  in the content, `X-Content-Type-Options: nosniff` and a sandboxing CSP (docs/security-files.md).
- **Never orphaned, never truncated.** The default storage is `TrackedFileSystemStorage`: a write
  that fails half-way (disk full) removes its partial file, and every file stored inside a
  service wrapped in `@removes_files_on_error` is deleted again when the service raises (its
  transaction rolled back, so no row points at the file). Wrap the service outside its
  `@transaction.atomic`.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import logging
import os
import re
import uuid
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import IO, Any, ParamSpec, TypeVar

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from django.http import FileResponse, Http404
from django.utils.deconstruct import deconstructible

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
SNIFF_BYTES = 8192
CHUNK_BYTES = 64 * 1024
MARKUP = re.compile(rb"^\s*(<|\xef\xbb\xbf\s*<)|<(!doctype|html|svg|script|\?xml)", re.IGNORECASE)


@dataclass(frozen=True)
class Kind:
    mime: str
    extension: str
    label: str
    text: bool = False

    @property
    def content_type(self) -> str:
        return f"{self.mime}; charset=utf-8" if self.text else self.mime


PDF = Kind("application/pdf", "pdf", "PDF")
PNG = Kind("image/png", "png", "PNG")
JPEG = Kind("image/jpeg", "jpg", "JPEG")
WEBP = Kind("image/webp", "webp", "WebP")
CSV = Kind("text/csv", "csv", "CSV", text=True)
TEXT = Kind("text/plain", "txt", "plain text", text=True)

BINARY_KINDS = {kind.mime: kind for kind in (PDF, PNG, JPEG, WEBP)}
# Receipt and case evidence: a delivery note, a photo of the damage, a count sheet.
EVIDENCE: tuple[Kind, ...] = (PDF, PNG, JPEG, WEBP, CSV, TEXT)
IMAGES: tuple[Kind, ...] = (PNG, JPEG, WEBP)
CSV_TEXT: tuple[Kind, ...] = (CSV, TEXT)
SAFE_EXTENSIONS = {kind.extension for kind in EVIDENCE} | {"jpeg"}


def max_upload_bytes() -> int:
    return int(getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def _chunks(file: IO[bytes] | File) -> Any:
    """The file's bytes from the start, in chunks; the position is put back afterwards."""
    file.seek(0)
    try:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk
    finally:
        file.seek(0)


def _is_text(file: IO[bytes] | File) -> bool:
    """UTF-8 all through, no NUL byte, and not opening like markup."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    head = b""
    try:
        for chunk in _chunks(file):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return bool(head.strip()) and not MARKUP.search(head)


def sniff(file: IO[bytes] | File, *, name: str = "") -> Kind | None:
    """The kind of file the content says it is, among those we know; None for anything else."""
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    guess = filetype.guess(head) if head else None
    if guess is not None:
        return BINARY_KINDS.get(guess.mime)
    if head and _is_text(file):
        return CSV if name.lower().endswith(".csv") else TEXT
    return None


def display_name(name: str) -> str:
    """The uploader's file name as we keep it: no directories, no control characters."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:150] or "file"


def _accepted(kinds: Sequence[Kind]) -> str:
    labels = [kind.label for kind in dict.fromkeys(kinds)]
    return ", ".join(labels[:-1]) + f" or {labels[-1]}" if len(labels) > 1 else labels[0]


def upload_help(kinds: Sequence[Kind]) -> str:
    """What a file field takes, for its help text."""
    return f"{_accepted(kinds)}; at most {_megabytes(max_upload_bytes())}."


def check_upload(
    file: IO[bytes] | File, *, allowed: Sequence[Kind], max_bytes: int | None = None
) -> Kind:
    """The file's kind when it is allowed and small enough; otherwise a ValidationError that
    names the file and what would be accepted."""
    name = display_name(getattr(file, "name", "") or "")
    limit = max_bytes or max_upload_bytes()
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(0)
    if size > limit:
        raise ValidationError(
            f"{name} is {_megabytes(size)}; files may be at most {_megabytes(limit)}.",
            code="too_large",
        )
    if size == 0:
        raise ValidationError(f"{name} is empty.", code="empty")
    kind = sniff(file, name=name)
    if kind is None or kind not in allowed:
        raise ValidationError(
            f"{name} is not a file type we accept here. Upload a {_accepted(allowed)} file.",
            code="file_type",
        )
    return kind


def validate_evidence(file: File) -> None:
    """Model-field validator: receipt and case evidence."""
    check_upload(file, allowed=EVIDENCE)


def validate_image(file: File) -> None:
    """Model-field validator: product images."""
    check_upload(file, allowed=IMAGES)


def stored_as(file: File, kind: Kind) -> File:
    """The same upload, named for storage by the kind found in its content (`RandomName` keeps
    only the extension); the caller keeps `display_name(file.name)` before calling this."""
    file.name = f"upload.{kind.extension}"
    return file


def accept_upload(file: File, *, allowed: Sequence[Kind]) -> tuple[File, str]:
    """`check_upload`, then (the file named for storage, the uploader's name for display)."""
    kind = check_upload(file, allowed=allowed)
    original = display_name(file.name or "")
    return stored_as(file, kind), original


@deconstructible
class RandomName:
    """`upload_to`: `<folder>/<yyyy>/<mm>/<uuid4>.<ext>`. The uploader's name never reaches the
    file system; the extension is kept only when it is one of ours (see `stored_as`)."""

    def __init__(self, folder: str, *, dated: bool = True) -> None:
        self.folder = folder
        self.dated = dated

    def __call__(self, instance: Any, filename: str) -> str:
        extension = os.path.splitext(filename)[1].lower().lstrip(".")
        suffix = f".{extension}" if extension in SAFE_EXTENSIONS else ""
        parts = [self.folder]
        if self.dated:
            parts.append(f"{dt.date.today():%Y/%m}")
        return "/".join([*parts, f"{uuid.uuid4().hex}{suffix}"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RandomName) and (self.folder, self.dated) == (
            other.folder,
            other.dated,
        )


def download_name(original: str, kind: Kind | None) -> str:
    """The filename a download is offered under: the uploader's stem, the real type's extension."""
    stem = os.path.splitext(display_name(original))[0] or "file"
    return f"{stem}.{kind.extension}" if kind else f"{stem}.bin"


def file_download(
    stored: Any, *, original_name: str, allowed: Sequence[Kind], inline: bool = False
) -> FileResponse:
    """A stored upload as a response. The type is read again from the content: a file that does
    not pass today's allow-list (stored before it existed) goes out as opaque bytes, always as an
    attachment. A file missing from storage is a 404."""
    if not stored:
        raise Http404("No file.")
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404("The file is no longer stored.") from None
    kind = sniff(handle, name=original_name)
    if kind is not None and kind not in allowed:
        kind = None
    response = FileResponse(
        handle,
        as_attachment=not (inline and kind is not None),
        filename=download_name(original_name, kind),
        content_type=kind.content_type if kind else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Opened directly, the file runs nothing and loads nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")
# The files stored since the outermost `removes_files_on_error` began, when one is running.
_stored: ContextVar[list[tuple[Storage, str]] | None] = ContextVar("stored_uploads", default=None)


class TrackedFileSystemStorage(FileSystemStorage):
    """FileSystemStorage that removes a partial file when a write fails (disk full, a broken
    upload stream) and reports each stored name to a running `removes_files_on_error`."""

    def _save(self, name: str, content: File) -> str:
        existed = self.exists(name)
        try:
            stored = super()._save(name, content)  # type: ignore[misc]
        except BaseException:
            if not existed:
                self._remove_quietly(name)
            raise
        pending = _stored.get()
        if pending is not None:
            pending.append((self, stored))
        return stored

    def _remove_quietly(self, name: str) -> None:
        try:
            self.delete(name)
        except OSError:
            logger.warning("could not remove the partial upload %s", name, exc_info=True)


def removes_files_on_error(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a service that stores uploads: when it raises, every file it stored is deleted
    (its rows were rolled back with its transaction). Put it outside `@transaction.atomic`.
    Nested services share the outermost one's list."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if _stored.get() is not None:
            return func(*args, **kwargs)
        token = _stored.set([])
        try:
            return func(*args, **kwargs)
        except BaseException:
            for storage, name in _stored.get() or []:
                try:
                    storage.delete(name)
                except OSError:
                    logger.warning("could not remove the orphan upload %s", name, exc_info=True)
            raise
        finally:
            _stored.reset(token)

    return wrapper
