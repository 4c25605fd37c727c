"""Chat over HTTP: the portal widget's JSON endpoints and the agents' chat pages.

Both sides poll ``.../messages?after=<last id>`` once a second, so a message shows up on the
other side within about a second, with no page reload and no socket server to run.
"""

from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from supportdesk.accounts.access import AuthenticatedHttpRequest, agent_required
from supportdesk.channels.chat import services
from supportdesk.channels.chat.choices import ConversationState, Sender
from supportdesk.channels.chat.forms import WriteToUsForm
from supportdesk.channels.chat.models import ChatMessage, Conversation

#: A waiting chat older than this is shown as late in the workspace.
WAITING_TOO_LONG = timedelta(minutes=2)


def message_json(message: ChatMessage, conversation: Conversation) -> dict:
    names: dict[str, str] = {
        Sender.CUSTOMER: str(conversation.contact or conversation.user or _("Visitor")),
        Sender.BOT: _("Assistant"),
        Sender.AGENT: str(message.author or _("Agent")),
        Sender.SYSTEM: "",
    }
    data = message.data or {}
    return {
        "id": message.pk,
        "sender": message.sender,
        "who": names[message.sender],
        "body": message.body,
        "at": message.at.isoformat(),
        "answer": data.get("answer"),
        "alternatives": data.get("alternatives", []),
        "visitor": data.get("visitor"),
    }


def state_json(conversation: Conversation, after: int) -> dict:
    messages = services.messages_after(conversation, after)
    return {
        "conversation": conversation.pk,
        "state": conversation.state,
        "state_label": conversation.get_state_display(),
        "case": conversation.case.label if conversation.case is not None else None,
        "agent": str(conversation.agent) if conversation.agent is not None else None,
        "messages": [message_json(m, conversation) for m in messages],
    }


def _after(request: HttpRequest) -> int:
    try:
        return max(0, int(request.GET.get("after") or request.POST.get("after") or 0))
    except ValueError:
        return 0


def _session_key(request: HttpRequest) -> str:
    if request.user.is_authenticated:
        return ""
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key or ""


def _owned(request: HttpRequest, pk: int) -> Conversation:
    if request.user.is_authenticated and request.user.is_agent:
        raise Http404  # agents use the workspace pages
    key = "" if request.user.is_authenticated else (request.session.session_key or "")
    conversation = services.for_owner(pk, request.user, key)
    if conversation is None:
        raise Http404
    return conversation


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


# ---------------------------------------------------------------- the customer's widget


@require_POST
def send(request: HttpRequest) -> JsonResponse:
    """A customer message; starts a conversation when there is none (or it was closed)."""
    if request.user.is_authenticated and request.user.is_agent:
        return _error(_("Agents answer chats from the workspace."), 403)
    body = request.POST.get("message", "")
    conversation = None
    if request.POST.get("conversation"):
        try:
            conversation = _owned(request, int(request.POST["conversation"]))
        except (ValueError, Http404):
            conversation = None
    if conversation is None or conversation.state == ConversationState.CLOSED:
        conversation = services.start(
            user=request.user,
            session_key=_session_key(request),
            language=(get_language() or "")[:2],
        )
    try:
        services.customer_says(conversation, body)
    except services.ChatError as exc:
        return _error(str(exc))
    conversation.refresh_from_db()
    return JsonResponse(state_json(conversation, _after(request)))


@require_POST
def person(request: HttpRequest, pk: int) -> JsonResponse:
    conversation = _owned(request, pk)
    services.request_person(conversation)
    conversation.refresh_from_db()
    return JsonResponse(state_json(conversation, _after(request)))


@require_POST
def visitor_email(request: HttpRequest, pk: int) -> JsonResponse:
    """From the widget: a visitor who has not signed in leaves an address to be answered at."""
    conversation = _owned(request, pk)
    try:
        services.visitor_case(email=request.POST.get("email", ""), conversation=conversation)
    except services.ChatError as exc:
        return _error(str(exc))
    conversation.refresh_from_db()
    return JsonResponse(state_json(conversation, _after(request)))


def write(request: HttpRequest) -> HttpResponse:
    """ "Ask a person" without an account: a question answered by email (signed-in customers
    open a case in the portal instead)."""
    if request.user.is_authenticated:
        return redirect("home" if request.user.is_agent else "new_case")
    form = WriteToUsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.visitor_case(
                email=form.cleaned_data["email"], body=form.cleaned_data["message"]
            )
        except services.ChatError as exc:
            form.add_error(None, str(exc))
        else:
            return render(
                request,
                "chat/write.html",
                {"case": case, "email": form.cleaned_data["email"]},
            )
    return render(request, "chat/write.html", {"form": form})


@require_GET
def poll(request: HttpRequest, pk: int) -> JsonResponse:
    conversation = _owned(request, pk)
    return JsonResponse(state_json(conversation, _after(request)))


@require_POST
def leave(request: HttpRequest, pk: int) -> JsonResponse:
    conversation = _owned(request, pk)
    services.close(conversation, by=request.user if request.user.is_authenticated else None)
    conversation.refresh_from_db()
    return JsonResponse(state_json(conversation, _after(request)))


# ---------------------------------------------------------------- agents


@agent_required
def desk_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Waiting chats (oldest first), the agent's live ones, and other live ones."""
    base = Conversation.objects.select_related("contact__organization", "case", "agent")
    now = timezone.now()
    waiting = list(base.waiting())
    context = {
        "waiting": waiting,
        "late": {
            c.pk
            for c in waiting
            if c.handed_off_at is not None and now - c.handed_off_at > WAITING_TOO_LONG
        },
        "mine": list(base.filter(state=ConversationState.LIVE, agent=request.user)),
        "others": list(base.filter(state=ConversationState.LIVE).exclude(agent=request.user)[:50]),
    }
    template = "chat/_desk_rows.html" if request.GET.get("partial") else "chat/desk_list.html"
    return render(request, template, context)


@agent_required
def desk_chat(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    conversation = get_object_or_404(
        Conversation.objects.visible_to(request.user).select_related(
            "contact__organization", "case", "agent"
        ),
        pk=pk,
    )
    plan = services.current_plan(conversation.contact) if conversation.contact else None
    return render(request, "chat/desk_chat.html", {"conversation": conversation, "plan": plan})


@agent_required
@require_GET
def desk_messages(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    conversation = get_object_or_404(Conversation.objects.visible_to(request.user), pk=pk)
    return JsonResponse(state_json(conversation, _after(request)))


@agent_required
@require_POST
def desk_take(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    conversation = get_object_or_404(Conversation.objects.visible_to(request.user), pk=pk)
    try:
        services.take(conversation, request.user)
    except services.ChatError as exc:
        if request.headers.get("accept", "").startswith("application/json"):
            return _error(str(exc), 409)
    if request.headers.get("accept", "").startswith("application/json"):
        conversation.refresh_from_db()
        return JsonResponse(state_json(conversation, _after(request)))
    return redirect("desk_chat", pk=pk)


@agent_required
@require_POST
def desk_send(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    conversation = get_object_or_404(Conversation.objects.visible_to(request.user), pk=pk)
    try:
        services.agent_says(conversation, request.user, request.POST.get("message", ""))
    except services.ChatError as exc:
        return _error(str(exc), 409)
    conversation.refresh_from_db()
    return JsonResponse(state_json(conversation, _after(request)))


@agent_required
@require_POST
def desk_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    conversation = get_object_or_404(Conversation.objects.visible_to(request.user), pk=pk)
    services.close(conversation, by=request.user)
    return redirect("desk_chats")
