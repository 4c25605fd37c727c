"""The chat channel's write path: the assistant answers, a person takes over, the case keeps all.

Hand-off rule: a customer whose plan gives live chat to their role (``chat_l1`` or ``chat_l2``
in the plan's entitlements) waits for an agent in a live conversation; anyone else gets a case
with the transcript, answered like any case. Either way the conversation is on a case, opened
through ``tickets.services.open_case`` (channel ``chat``), and every later message is mirrored
onto it, so nothing said in the chat is lost. A customer whose role the plan does not give
the chatbot skips the assistant: their first message goes to a person by the same rule.
"""

import contextlib
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Contact, User
from supportdesk.channels.chat.choices import HANDED_OFF, ConversationState, Sender
from supportdesk.channels.chat.models import ChatMessage, Conversation
from supportdesk.knowledge import chatbot
from supportdesk.plans.choices import Entitlement as Key
from supportdesk.plans.choices import Way
from supportdesk.plans.entitlements import channel_access, may, plan_of
from supportdesk.plans.models import Plan
from supportdesk.status import ongoing
from supportdesk.tickets import services as cases
from supportdesk.tickets.choices import Channel, Level
from supportdesk.tickets.errors import CaseError
from supportdesk.tickets.models import Case

#: After this many unanswered questions in a row the assistant stops guessing and hands off.
MAX_UNANSWERED = 2
MAX_MESSAGE = 4000


class ChatError(ValueError):
    """A chat action that is not possible now; the message is for people."""


@dataclass(frozen=True)
class Entitlement:
    plan: Plan | None
    live: bool
    level: str


def current_plan(contact: Contact, at: datetime | None = None) -> Plan | None:
    """The plan of the contract in force for the contact's organization."""
    return plan_of(contact, at)


def entitlement(contact: Contact | None, at: datetime | None = None) -> Entitlement:
    """Whether this contact may chat with a person, and at which level (the plan's matrix)."""
    if contact is None:
        return Entitlement(None, False, Level.L1)
    plan = current_plan(contact, at)
    access = channel_access(plan, contact.role, Way.CHAT)
    return Entitlement(plan, access.level is not None, access.level or Level.L1)


def _assistant_serves(conversation: Conversation, at: datetime) -> bool:
    """Visitors and customers whose plan gives their role the chatbot get its answers; any
    other customer's message goes straight to a person."""
    contact = conversation.contact
    return contact is None or may(current_plan(contact, at), contact.role, Key.CHATBOT)


def _locked(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


def _say(
    conversation: Conversation,
    sender: str,
    body: str,
    at: datetime,
    author: User | None = None,
    data: dict | None = None,
) -> ChatMessage:
    return ChatMessage.objects.create(
        conversation=conversation, at=at, sender=sender, author=author, body=body, data=data
    )


def _touch(conversation: Conversation, at: datetime, *fields: str) -> None:
    conversation.updated_at = at
    conversation.save(update_fields=["updated_at", *fields])


def start(
    *,
    user: User | AnonymousUser | None = None,
    session_key: str = "",
    language: str = "",
    at: datetime | None = None,
) -> Conversation:
    at = at or timezone.now()
    if user is None or not user.is_authenticated:
        user = None
    contact = user.contact_or_none if user is not None else None
    return Conversation.objects.create(
        user=user,
        contact=contact,
        session_key="" if user else session_key,
        language=(language or (contact.language if contact else "") or "")[:8],
        created_at=at,
        updated_at=at,
    )


def article_url(key: str) -> str:
    return reverse("kb_article", args=[key])


def _bot_reply(conversation: Conversation, reply: chatbot.Reply, at: datetime) -> ChatMessage:
    data = reply.as_json()
    if reply.answer is not None:
        data["answer"]["url"] = article_url(reply.answer.article)
        body = f"{reply.answer.title}\n{reply.answer.snippet}"
    else:
        body = chatbot.no_answer_text()
    for alternative in data["alternatives"]:
        alternative["url"] = article_url(alternative["article"])
    return _say(conversation, Sender.BOT, body, at, data=data)


def customer_says(
    conversation: Conversation, body: str, *, at: datetime | None = None
) -> list[ChatMessage]:
    """The customer writes: the assistant answers, or the person handling the chat hears it.

    The assistant thinks outside any transaction (a search takes tens of milliseconds, the
    first after an edit rebuilds the index): on SQLite a transaction holds the database's
    write lock, and nobody else should wait on the assistant.
    """
    at = at or timezone.now()
    body = body.strip()[:MAX_MESSAGE]
    if not body:
        raise ChatError(_("The message is empty."))
    with transaction.atomic():
        conversation = _locked(conversation)
        if conversation.state == ConversationState.CLOSED:
            raise ChatError(_("This conversation is closed; start a new one."))
        said = _say(conversation, Sender.CUSTOMER, body, at, author=conversation.user)
        if conversation.state in HANDED_OFF:
            _mirror_customer(conversation, body, at)
            _touch(conversation, at)
            return [said]
        if not _assistant_serves(conversation, at):
            return [said, *_hand_off(conversation, at, asked=True)]
    reply = chatbot.ask(body, user=conversation.user, fallback_lang=conversation.language or None)
    known = ongoing.about(body, conversation.user)
    with transaction.atomic():
        conversation = _locked(conversation)
        if conversation.state in HANDED_OFF:  # the button was pressed meanwhile
            _mirror_customer(conversation, body, at)
            return [said]
        if reply.wants_person:
            return [said, *_hand_off(conversation, at, asked=True)]
        if reply.small_talk:
            _touch(conversation, at)
            text = chatbot.small_talk_text(reply.small_talk)
            return [said, _say(conversation, Sender.BOT, text, at)]
        language = conversation.language or get_language()
        incidents = [_say(conversation, Sender.BOT, o.text(language), at) for o in known]
        answer = _bot_reply(conversation, reply, at)
        if known:
            # The outage answers the question: no hand-off for want of an article.
            _touch(conversation, at)
            return [said, *incidents, answer]
        if reply.answer is None:
            conversation.unanswered += 1
            _touch(conversation, at, "unanswered")
            if conversation.unanswered >= MAX_UNANSWERED:
                return [said, answer, *_hand_off(conversation, at, asked=False)]
        else:
            conversation.unanswered = 0
            _touch(conversation, at, "unanswered")
        return [said, answer]


@transaction.atomic
def request_person(conversation: Conversation, *, at: datetime | None = None) -> list[ChatMessage]:
    """'Talk to a person' (the button, or the assistant giving up)."""
    at = at or timezone.now()
    conversation = _locked(conversation)
    if conversation.state != ConversationState.BOT:
        return []
    return _hand_off(conversation, at, asked=True)


def transcript(conversation: Conversation) -> str:
    """The conversation so far as plain text, for the case."""
    zone = ZoneInfo(conversation.user.timezone if conversation.user else "UTC")
    lines = []
    for message in conversation.messages.select_related("author").order_by("pk"):
        names: dict[str, str] = {
            Sender.CUSTOMER: str(conversation.contact or conversation.user or _("Visitor")),
            Sender.BOT: _("Assistant"),
            Sender.AGENT: str(message.author or _("Agent")),
            Sender.SYSTEM: _("Desk"),
        }
        who = names[message.sender]
        stamp = message.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        body = message.body
        if message.sender == Sender.BOT and message.data and message.data.get("answer"):
            body += f"\n({message.data['answer'].get('url', '')})"
        lines.append(f"[{stamp}] {who}: {body}")
    return "\n".join(lines)


def _hand_off(conversation: Conversation, at: datetime, *, asked: bool) -> list[ChatMessage]:
    contact = conversation.contact
    if contact is None:
        note = _say(
            conversation,
            Sender.SYSTEM,
            _(
                "Sign in and a person will answer you here, or leave your email address and "
                "we will answer you by email."
            ),
            at,
            data={"visitor": {"sign_in": reverse("login"), "write": reverse("chat_write")}},
        )
        _touch(conversation, at)
        return [note]
    right = entitlement(contact, at)
    lang = conversation.language or contact.language or None
    with override(lang):
        intro = (
            _("I am passing you to a person.")
            if asked
            else _("I cannot answer this; let me pass you to a person.")
        )
        first = conversation.messages.filter(sender=Sender.CUSTOMER).order_by("pk").first()
        subject = _("Chat: %(q)s") % {"q": (first.body if first else "")[:120]}
        lead = _say(conversation, Sender.SYSTEM, intro, at)
        case = cases.open_case(
            subject=subject,
            body=transcript(conversation),
            channel="chat",
            contact=contact,
            actor=conversation.user,
            at=at,
        )
        conversation.case = case
        conversation.handed_off_at = at
        if right.live:
            conversation.state = ConversationState.WAITING
            status = _say(
                conversation,
                Sender.SYSTEM,
                _("An agent will join this conversation shortly (case %(case)s).")
                % {"case": case.label},
                at,
            )
        else:
            conversation.state = ConversationState.CASE
            status = _say(
                conversation,
                Sender.SYSTEM,
                _(
                    "Your plan does not include live chat, so we opened case %(case)s with this "
                    "conversation. We will answer in the portal and by email; anything you add "
                    "here joins the case."
                )
                % {"case": case.label},
                at,
            )
    _touch(conversation, at, "case", "handed_off_at", "state")
    return [lead, status]


def visitor_case(
    *,
    email: str,
    body: str = "",
    conversation: Conversation | None = None,
    at: datetime | None = None,
) -> Case:
    """A visitor who has not signed in asks for a person: a case answered by email.

    Their words (and the chat so far, when they were chatting) go on the case. An address typed
    into a form proves nobody's identity, so it is kept for the replies but not looked up among
    registered contacts: the case is received uncovered, as mail from an unknown sender is.
    """
    at = at or timezone.now()
    email, body = email.strip(), body.strip()[:MAX_MESSAGE]
    try:
        validate_email(email)
    except ValidationError:
        raise ChatError(_("Enter an email address we can answer to.")) from None
    with transaction.atomic():
        if conversation is not None:
            conversation = _locked(conversation)
            if conversation.contact is not None or conversation.state != ConversationState.BOT:
                raise ChatError(_("This conversation is with a person already."))
            first = conversation.messages.filter(sender=Sender.CUSTOMER).order_by("pk").first()
            question = first.body if first else body
            text = transcript(conversation) + (f"\n\n{body}" if body else "")
        elif not body:
            raise ChatError(_("The message is empty."))
        else:
            question, text = body, body
        case = cases.open_case(
            subject=_("Question from the help centre: %(q)s") % {"q": question[:120]},
            body=text,
            channel=Channel.WEB,
            sender=email,
            identify_sender=False,
            at=at,
        )
        if conversation is not None:
            conversation.case, conversation.handed_off_at = case, at
            conversation.state = ConversationState.CASE
            _say(
                conversation,
                Sender.SYSTEM,
                _("We opened case %(case)s and will answer you at %(email)s.")
                % {"case": case.label, "email": email},
                at,
            )
            _touch(conversation, at, "case", "handed_off_at", "state")
    return case


def _mirror_customer(conversation: Conversation, body: str, at: datetime) -> None:
    """Add a customer's chat message to the conversation's case (a new case if it closed)."""
    if conversation.case is None:
        return
    try:
        cases.add_customer_message(
            conversation.case, body=body, contact=conversation.contact, at=at
        )
    except CaseError:
        conversation.case = cases.open_case(
            subject=_("Chat (continued): %(q)s") % {"q": body[:120]},
            body=body,
            channel="chat",
            contact=conversation.contact,
            actor=conversation.user,
            at=at,
        )
        conversation.save(update_fields=["case"])


@transaction.atomic
def take(conversation: Conversation, agent: User, *, at: datetime | None = None) -> Conversation:
    """An agent joins a waiting chat and becomes the case's assignee."""
    at = at or timezone.now()
    if not agent.is_agent:
        raise ChatError(_("Only agents can do this."))
    conversation = _locked(conversation)
    if conversation.state == ConversationState.LIVE and conversation.agent_id == agent.pk:
        return conversation
    if conversation.state != ConversationState.WAITING:
        raise ChatError(_("This conversation is not waiting for an agent."))
    conversation.state = ConversationState.LIVE
    conversation.agent = agent
    if conversation.case is not None:
        cases.assign(conversation.case, assignee=agent, actor=agent, at=at)
    with override(conversation.language or None):
        _say(
            conversation,
            Sender.SYSTEM,
            _("%(agent)s joined the conversation.") % {"agent": agent.name or agent.email},
            at,
        )
    _touch(conversation, at, "state", "agent")
    return conversation


@transaction.atomic
def agent_says(
    conversation: Conversation, agent: User, body: str, *, at: datetime | None = None
) -> ChatMessage:
    """The agent's message: shown in the chat and posted on the case as a public reply."""
    at = at or timezone.now()
    body = body.strip()[:MAX_MESSAGE]
    if not body:
        raise ChatError(_("The message is empty."))
    conversation = _locked(conversation)
    if conversation.state == ConversationState.WAITING:
        conversation = take(conversation, agent, at=at)
    if conversation.state != ConversationState.LIVE:
        raise ChatError(_("This conversation is not live."))
    if conversation.agent_id != agent.pk:
        raise ChatError(_("Another agent is handling this conversation."))
    said = _say(conversation, Sender.AGENT, body, at, author=agent)
    if conversation.case is not None:
        # A case closed meanwhile refuses the reply; the chat still carries the message.
        with contextlib.suppress(CaseError):
            cases.post_reply(conversation.case, author=agent, body=body, at=at, notify=False)
    _touch(conversation, at)
    return said


@transaction.atomic
def close(
    conversation: Conversation, *, by: User | None, at: datetime | None = None
) -> Conversation:
    """End the conversation (either side). The case stays open until it is resolved."""
    at = at or timezone.now()
    conversation = _locked(conversation)
    if conversation.state == ConversationState.CLOSED:
        return conversation
    conversation.state = ConversationState.CLOSED
    conversation.closed_at = at
    with override(conversation.language or None):
        if by is not None and by.is_agent:
            note = _("%(agent)s closed the conversation.") % {"agent": by.name or by.email}
        else:
            note = _("The customer left the conversation.")
        _say(conversation, Sender.SYSTEM, note, at, author=by)
    _touch(conversation, at, "state", "closed_at")
    return conversation


def messages_after(conversation: Conversation, after: int = 0, viewer: User | None = None):
    """Messages newer than ``after`` (a message id), oldest first: what a poll returns."""
    return conversation.messages.filter(pk__gt=after).select_related("author").order_by("pk")


def for_owner(pk: int, user: User | AnonymousUser | None, session_key: str) -> Conversation | None:
    """The conversation with this id if it belongs to this person (or anonymous session)."""
    owned = (
        Q(user=user)
        if user is not None and user.is_authenticated
        else Q(user__isnull=True, session_key=session_key)
    )
    if not (user is not None and user.is_authenticated) and not session_key:
        return None
    return Conversation.objects.filter(owned, pk=pk).first()
