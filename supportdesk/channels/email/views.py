"""Download of the original message, for agents (a customer never sees another's raw mail;
anyone else gets the 404 a missing page would give). Its attachments are the case's, and
download from the case page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from supportdesk.channels.email.models import InboundEmail


@login_required
def raw_message(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_object_or_404(InboundEmail.objects.visible_to(request.user), pk=pk)
    response = HttpResponse(bytes(email.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{email.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
