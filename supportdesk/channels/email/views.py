"""Downloads of the original message and its attachments, for agents (a customer never sees
another's raw mail; anyone else gets the 404 a missing page would give)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from supportdesk.channels.email.models import EmailAttachment, InboundEmail


def _require_agent(request: HttpRequest) -> None:
    if not (request.user.is_agent or request.user.is_superuser):
        raise Http404


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(bytes(data), content_type=content_type)
    safe = filename.replace('"', "").replace("\r", "").replace("\n", "") or "download"
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def raw_message(request: HttpRequest, pk: int) -> HttpResponse:
    _require_agent(request)
    email = get_object_or_404(InboundEmail, pk=pk)
    return _download(email.raw, "message/rfc822", f"message-{email.pk}.eml")


@login_required
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    _require_agent(request)
    item = get_object_or_404(EmailAttachment, pk=pk, data__isnull=False)
    return _download(item.data, "application/octet-stream", item.filename)
