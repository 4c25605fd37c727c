"""Attachments: files that arrive with a message on any channel become the case's own, stored
through the storage API, and are served one way to whoever may read their message.

Each wrapper extends the case service of the same name in one transaction, so a case or
message and its files are written together: ``open_case``, ``add_customer_message`` and
``post_reply`` with ``files``. A channel with limits of its own (email) calls ``store_file``.
"""

import posixpath
import unicodedata
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from supportdesk.tickets import services
from supportdesk.tickets.errors import CaseError, CaseErrorCode
from supportdesk.tickets.models import Attachment, Case, Message

#: The name of a file whose own name is nothing but path or invisible characters.
UNNAMED = "attachment"
#: Control, invisible formatting (a right-to-left override can disguise ``exe`` as ``pdf``),
#: surrogate, private-use and line/paragraph separator characters.
_HIDDEN = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}
_NAME_LENGTH = 255


def clean_name(name: str) -> str:
    """The name a file is stored and shown under: its last path part only (a client may send a
    whole path, or ``../../etc/passwd``), with no hidden characters, at most 255 characters
    (keeping the extension)."""
    shown = "".join(c for c in name if unicodedata.category(c) not in _HIDDEN)
    last = shown.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if last in ("", ".", ".."):
        return UNNAMED
    if len(last) > _NAME_LENGTH:
        stem, extension = posixpath.splitext(last)
        extension = extension[:16]
        last = stem[: _NAME_LENGTH - len(extension)] + extension
    return last


def _disk_name(name: str) -> str:
    """The file's name on disk (its name for people is kept in the row)."""
    try:
        return get_valid_filename(name)
    except SuspiciousFileOperation:  # nothing of the name is safe on a disk
        return UNNAMED


def check_files(files: Sequence[UploadedFile]) -> None:
    """Refuse too many files or a file over the limit, saying which and what the limit is."""
    if len(files) > settings.ATTACHMENT_MAX_FILES:
        raise CaseError(
            CaseErrorCode.INVALID,
            _("Attach at most %(n)s files.") % {"n": settings.ATTACHMENT_MAX_FILES},
            "attachments",
        )
    for upload in files:
        if (upload.size or 0) > settings.ATTACHMENT_MAX_BYTES:
            raise CaseError(
                CaseErrorCode.INVALID,
                _("%(name)s is larger than %(limit)s.")
                % {"name": upload.name, "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)},
                "attachments",
            )


def store_file(
    message: Message, content: File, *, name: str, content_type: str, at: datetime
) -> Attachment:
    """Store one file as an attachment of the message's case, under a clean name."""
    name = clean_name(name)
    attachment = Attachment(
        case_id=message.case_id,
        message=message,
        name=name,
        size=content.size,
        content_type=content_type[:100],
        uploaded_at=at,
    )
    attachment.file.save(_disk_name(name), content, save=False)
    attachment.save()
    return attachment


def attach(
    message: Message, files: Sequence[UploadedFile], at: datetime | None = None
) -> list[Attachment]:
    """Store the uploaded files under the message, within the upload limits."""
    check_files(files)
    at = at or timezone.now()
    return [
        store_file(
            message, upload, name=upload.name or "", content_type=upload.content_type or "", at=at
        )
        for upload in files
    ]


def download(attachment: Attachment, content_type: str | None = None) -> FileResponse:
    """The file as a download, named as RFC 6266 says (``filename*=utf-8''…`` for a name
    outside ASCII), so the name arrives whole. Callers decide who may have it
    (``Attachment.objects.visible_to``)."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@transaction.atomic
def open_case(*, files: Sequence[UploadedFile] = (), **fields) -> Case:
    """``services.open_case`` with files attached to the first message."""
    check_files(files)
    case = services.open_case(**fields)
    if files:
        attach(case.messages.earliest("id"), files, at=case.received_at)
    return case


@transaction.atomic
def add_customer_message(case: Case, *, files: Sequence[UploadedFile] = (), **fields) -> Message:
    check_files(files)
    message = services.add_customer_message(case, **fields)
    attach(message, files, at=message.at)
    return message


@transaction.atomic
def post_reply(case: Case, *, files: Sequence[UploadedFile] = (), **fields) -> Message:
    check_files(files)
    message = services.post_reply(case, **fields)
    attach(message, files, at=message.at)
    return message
