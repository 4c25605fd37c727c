"""The text channel's own data: messages exactly as the carrier posted them (kept before
anything else, as raw mail is) and when each number was last texted a link."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from supportdesk.tickets.choices import Channel
from supportdesk.tickets.models import Case


class InboundText(models.Model):
    """An SMS or WhatsApp message as the carrier posted it. Its ``MessageSid`` is its key, so
    a retried request finds the message it already stored; ``done_at`` stays empty until the
    message is on a case, so the worker can finish what a request could not."""

    sid = models.CharField(max_length=64, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    from_number = models.CharField(_("from"), max_length=64)
    to_number = models.CharField(_("to"), max_length=64)
    url = models.CharField(max_length=500)
    params = models.JSONField()
    received_at = models.DateTimeField(_("received"))
    done_at = models.DateTimeField(null=True)
    error = models.TextField(blank=True)
    case = models.ForeignKey(Case, models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [
            models.Index(fields=["from_number", "received_at"]),
            models.Index(
                fields=["received_at"], name="text_pending", condition=Q(done_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.sid}"


class TextedNumber(models.Model):
    """When the desk last texted this number a link: the limit of one a minute holds across
    every web process, because it is kept here."""

    number = models.CharField(max_length=20, unique=True)
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.number
