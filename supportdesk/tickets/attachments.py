"""The write path for attachments: files that arrive with a message, stored with a size limit.

Each function wraps the case service it extends in one transaction, so a case or message and
its files are written together: ``open_case``, ``add_customer_message`` and ``post_reply``
with ``files``.
"""

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from supportdesk.tickets import services
from supportdesk.tickets.errors import CaseError, CaseErrorCode
from supportdesk.tickets.models import Attachment, Case, Message


def check_files(files: Sequence[UploadedFile]) -> None:
    """Refuse too many files or a file over the limit, saying which and what the limit is."""
    if len(files) > settings.ATTACHMENT_MAX_FILES:
        raise CaseError(
            CaseErrorCode.INVALID,
            _("Attach at most %(n)s files.") % {"n": settings.ATTACHMENT_MAX_FILES},
            "attachments",
        )
    for upload in files:
        if upload.size > settings.ATTACHMENT_MAX_BYTES:
            raise CaseError(
                CaseErrorCode.INVALID,
                _("%(name)s is larger than %(limit)s.")
                % {"name": upload.name, "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)},
                "attachments",
            )


def attach(message: Message, files: Sequence[UploadedFile], at: datetime | None = None):
    """Store the files under the message; returns the attachments."""
    check_files(files)
    at = at or timezone.now()
    stored = []
    for upload in files:
        name = get_valid_filename(upload.name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]) or "file"
        attachment = Attachment(
            case_id=message.case_id,
            message=message,
            name=name[:255],
            size=upload.size,
            content_type=(upload.content_type or "")[:100],
            uploaded_at=at,
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


@transaction.atomic
def open_case(*, files: Sequence[UploadedFile] = (), **fields) -> Case:
    """``services.open_case`` with files attached to the first message."""
    check_files(files)
    case = services.open_case(**fields)
    if files:
        attach(case.messages.order_by("id").first(), files, at=case.received_at)
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
