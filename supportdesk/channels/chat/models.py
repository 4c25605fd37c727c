"""Chat conversations: the assistant first, then (on request or when it cannot answer) a person.

A conversation that reaches a person always has a case: the transcript is its first message and
every later chat message is mirrored onto it, so the case holds the whole conversation.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.access import Action, RestrictedQuerySet
from supportdesk.accounts.models import Contact, User
from supportdesk.channels.chat.choices import ConversationState, Sender
from supportdesk.tickets.models import Case


class ConversationQuerySet(RestrictedQuerySet["Conversation"]):
    """Agents see the conversations that reached a person, on their brand's cases; customers
    their own."""

    brand_path = "case__brand"

    def for_desk(self, user: User, action: Action) -> "ConversationQuerySet":
        return super().for_desk(user, action).exclude(state=ConversationState.BOT)

    def for_contact(self, contact: Contact, action: Action) -> "ConversationQuerySet":
        if contact.user_id is None:  # no login, no chats of their own (not every visitor's)
            return self.none()
        return self.filter(user_id=contact.user_id)

    def waiting(self) -> "ConversationQuerySet":
        return self.filter(state=ConversationState.WAITING).order_by("handed_off_at", "pk")


class Conversation(models.Model):
    user = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="conversations"
    )
    contact = models.ForeignKey(
        Contact, models.SET_NULL, null=True, blank=True, related_name="conversations"
    )
    session_key = models.CharField(max_length=64, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ConversationState.choices, default=ConversationState.BOT
    )
    case = models.ForeignKey(
        Case, models.SET_NULL, null=True, blank=True, related_name="conversations"
    )
    agent = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="chats_taken"
    )
    unanswered = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    handed_off_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["handed_off_at"],
                name="chat_waiting",
                condition=Q(state=ConversationState.WAITING),
            ),
        ]

    def __str__(self) -> str:
        return f"chat {self.pk} ({self.state})"

    @property
    def with_person(self) -> bool:
        return self.state in (ConversationState.WAITING, ConversationState.LIVE)


class ChatMessage(models.Model):
    conversation = models.ForeignKey(Conversation, models.CASCADE, related_name="messages")
    at = models.DateTimeField()
    sender = models.CharField(max_length=10, choices=Sender.choices)
    author = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    body = models.TextField()
    #: The assistant's answer as data: {"answer": {...} | null, "alternatives": [...]}.
    data = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.conversation_id} {self.sender}: {self.body[:40]}"
