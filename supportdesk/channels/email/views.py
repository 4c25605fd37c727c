"""Download of the original message, for agents (a customer never sees another's raw mail;
anyone else gets the 404 a missing page would give). Its attachments are the case's, and
download from the case page; a file too large for a reply downloads from the signed link the
reply carried, without signing in, until the link expires."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from supportdesk.channels.email.models import InboundEmail
from supportdesk.channels.email.outgoing import LinkExpired, file_from_token
from supportdesk.tickets import attachments


@login_required
def raw_message(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_object_or_404(InboundEmail.objects.visible_to(request.user), pk=pk)
    response = HttpResponse(bytes(email.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{email.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def reply_file(request: HttpRequest, token: str) -> FileResponse | HttpResponse:
    """The one file a reply's link names; an expired link says so (410), any other is a 404."""
    try:
        attachment = file_from_token(token)
    except LinkExpired:
        return HttpResponse(
            _("This link has expired. Sign in to the portal to download the file from the case."),
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    if attachment is None:
        raise Http404
    return attachments.download(attachment)
