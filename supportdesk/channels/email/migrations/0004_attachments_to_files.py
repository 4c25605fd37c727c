"""Mail attachments kept as database blobs become files, as the case's attachments under the
message the mail became; the reverse puts the bytes back. (A part whose message no longer
exists keeps no file: its bytes stay in the raw mail, which is never deleted.)"""

import unicodedata

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.db import migrations
from django.utils.text import get_valid_filename


def _clean(name: str) -> str:
    """The stored name: last path part, no hidden characters (as the desk names files now)."""
    shown = "".join(
        c for c in name if unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}
    )
    last = shown.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "attachment" if last in ("", ".", "..") else last[:255]


def _disk(name: str) -> str:
    try:
        return get_valid_filename(name)
    except SuspiciousFileOperation:  # nothing of the name is safe on a disk
        return "attachment"


def blobs_to_files(apps, schema_editor) -> None:
    EmailAttachment = apps.get_model("email_channel", "EmailAttachment")
    Attachment = apps.get_model("tickets", "Attachment")
    pending = EmailAttachment.objects.filter(
        data__isnull=False, attachment__isnull=True, email__case_message__isnull=False
    ).select_related("email", "email__case_message")
    for pk in list(pending.values_list("pk", flat=True)):
        part = pending.get(pk=pk)  # one blob in memory at a time
        message = part.email.case_message
        name = _clean(part.filename or "attachment")
        attachment = Attachment(
            case_id=message.case_id,
            message=message,
            name=name,
            size=len(part.data),
            content_type=part.content_type[:100],
            uploaded_at=part.email.processed_at or part.email.received_at,
        )
        attachment.file.save(_disk(name), ContentFile(bytes(part.data)), save=False)
        attachment.save()
        part.attachment = attachment
        part.filename = name
        part.save(update_fields=["attachment", "filename"])


def files_to_blobs(apps, schema_editor) -> None:
    EmailAttachment = apps.get_model("email_channel", "EmailAttachment")
    for part in EmailAttachment.objects.filter(attachment__isnull=False).select_related(
        "attachment"
    ):
        with part.attachment.file.open("rb") as stored:
            part.data = stored.read()
        part.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("email_channel", "0003_emailattachment_attachment"),
    ]

    operations = [
        migrations.RunPython(blobs_to_files, files_to_blobs),
    ]
