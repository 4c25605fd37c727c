"""``POST /api/chat``: the assistant over the API, the same service as the portal's widget.

Signed-in customers talk in a conversation (pass back ``conversation`` to continue it), so
"talk to a person" hands off exactly as in the widget: a live chat when their plan has one,
otherwise a case with the transcript. Agents and anonymous callers get one-shot answers over
what they may read.
"""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Field, Router, Schema

from supportdesk.api import errors
from supportdesk.api.auth import session_auth, token_auth
from supportdesk.channels.chat import services as chat
from supportdesk.channels.chat.choices import HANDED_OFF, ConversationState, Sender
from supportdesk.channels.chat.models import ChatMessage
from supportdesk.knowledge import chatbot
from supportdesk.status import ongoing


def anonymous(request: HttpRequest):
    """Anyone may ask; a request that offers a token is still judged by that token alone."""
    return None if "authorization" in request.headers else AnonymousUser()


router = Router(tags=["chat"], auth=[token_auth, session_auth, anonymous])


class ChatIn(Schema):
    message: str = Field(..., min_length=1, max_length=chat.MAX_MESSAGE)
    lang: str | None = Field(None, pattern=r"^[a-z]{2,3}$", description="Preferred language.")
    conversation: int | None = Field(
        None,
        strict=True,
        description="A conversation of yours to continue (customers only).",
    )


class AnswerOut(Schema):
    article: str
    title: str
    snippet: str
    score: float


class AlternativeOut(Schema):
    article: str
    title: str
    score: float


class ChatOut(Schema):
    answer: AnswerOut | None
    alternatives: list[AlternativeOut]
    handoff: bool = Field(..., description="A person takes over (or is offered).")
    conversation: int | None = None
    state: ConversationState | None = None
    case: str | None = Field(None, description="The case holding the conversation, if any.")
    messages: list[str] = Field(default_factory=list, description="What the desk said.")
    incidents: list[dict] = Field(
        default_factory=list,
        description="Ongoing incidents the question is about, with their latest update: shown "
        "before any article.",
    )


def _user(request: HttpRequest):
    user = getattr(request, "auth", None)
    return user if user is not None and user.is_authenticated else None


@router.post(
    "",
    response={200: ChatOut, **errors.WRITE_ONE},
    # Anyone may ask: the empty requirement tells clients that no credentials is an option.
    openapi_extra={"security": [{"TokenAuth": []}, {"SessionAuth": []}, {}]},
)
def chat_message(request: HttpRequest, payload: ChatIn) -> dict:
    """Ask the assistant; customers continue a conversation and can ask for a person."""
    user = _user(request)
    language = payload.lang or get_language()
    incidents = [o.as_json(language) for o in ongoing.about(payload.message, user)]
    if user is None or user.is_agent or user.contact_or_none is None:
        reply = chatbot.ask(payload.message, user=user, lang=payload.lang)
        return {**reply.as_json(), "messages": [], "incidents": incidents}
    conversation = chat.for_owner(payload.conversation, user, "") if payload.conversation else None
    if payload.conversation and conversation is None:
        raise errors.unknown("conversation", "No such conversation of yours.")
    if conversation is None or conversation.state == ConversationState.CLOSED:
        conversation = chat.start(user=user, language=payload.lang or "")
    try:
        said = chat.customer_says(conversation, payload.message)
    except chat.ChatError as exc:
        raise errors.ApiError(409, errors.ApiErrorCode.INVALID, str(exc)) from None
    conversation.refresh_from_db()
    bot = next((m for m in said if m.sender == Sender.BOT), None)
    data = (bot.data if isinstance(bot, ChatMessage) and bot.data else None) or {
        "answer": None,
        "alternatives": [],
        "handoff": False,
    }
    handed_off = conversation.state in HANDED_OFF
    return {
        "answer": data["answer"],
        "alternatives": data["alternatives"],
        "handoff": bool(data.get("handoff")) or handed_off,
        "conversation": conversation.pk,
        "state": conversation.state,
        "case": conversation.case.label if conversation.case is not None else None,
        "messages": [m.body for m in said if m.sender in (Sender.BOT, Sender.SYSTEM)],
        "incidents": incidents,
    }
