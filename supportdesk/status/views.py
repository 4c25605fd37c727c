"""The status page, its Atom feed and the Statuspage-compatible JSON (read-only and cheap), and
the workspace pages where agents declare incidents, post updates and link cases.

Each answers with an ETag built from the status tables' latest saves and who is reading, so a
reader who already has the page gets a 304 without it being rendered again.
"""

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.feedgenerator import Atom1Feed
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import condition, require_GET, require_POST

from supportdesk.accounts.access import Action, AuthenticatedHttpRequest, agent_required
from supportdesk.accounts.models import User
from supportdesk.accounts.services import user_for_token
from supportdesk.status import forms, page, services, statuspage
from supportdesk.status.choices import IncidentStatus
from supportdesk.tickets.models import Case

#: Seconds a reader may keep the page before asking again (with its ETag).
MAX_AGE = 30


def _reader(request: HttpRequest) -> User | None:
    """The bearer token's user (the JSON serves monitors and scripts) or the session's; read
    once per request. ``_status_token_refused`` marks a token offered that is not valid."""
    if not hasattr(request, "_status_reader"):
        header = request.headers.get("authorization", "")
        user: User | None = request.user if request.user.is_authenticated else None
        if header.lower().startswith("bearer "):
            user = user_for_token(header[7:].strip())
            request._status_token_refused = user is None  # type: ignore[attr-defined]
        request._status_reader = user  # type: ignore[attr-defined]
    return request._status_reader  # type: ignore[attr-defined]


def _etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
    """Read once per request: the page's kept parts are filed under it too."""
    if not hasattr(request, "_status_etag"):
        zone = timezone.get_current_timezone()
        user = _reader(request)
        parts = (request.path, get_language(), str(zone), str(timezone.localdate()))
        request._status_etag = page.revision(user, *parts, str(user.pk if user else ""))  # type: ignore[attr-defined]
    return request._status_etag  # type: ignore[attr-defined]


def cached(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET only; ETag and 304; shared caches may keep what visitors see, not a person's view.
    A token that is not valid is a 401, never the anonymous view."""

    conditional = condition(etag_func=_etag)(view)

    @require_GET
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The page's language links (``?lang=pl``): a visitor's choice without a form or cookie.
        chosen = request.GET.get("lang", "")
        if chosen in dict(settings.LANGUAGES):
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        user = _reader(request)
        if getattr(request, "_status_token_refused", False):
            refusal = {"code": "unauthenticated", "detail": _("This token is not valid.")}
            response: HttpResponse = JsonResponse(refusal, status=401)
            response["WWW-Authenticate"] = 'Bearer realm="supportdesk"'
            return response
        response = conditional(request, *args, **kwargs)
        # A person's view, or a page that sets a cookie (the CSRF token of its forms), is
        # for their browser only; what every visitor sees may sit in shared caches.
        personal = user is not None or bool(response.cookies)
        patch_cache_control(
            response, max_age=MAX_AGE, **({"private": True} if personal else {"public": True})
        )
        patch_vary_headers(response, ["Cookie", "Authorization", "Accept-Language"])
        return response

    return wrapper


@cached
def status_page(request: HttpRequest) -> HttpResponse:
    """The page's content is rendered once per revision of what this reader sees (the ETag:
    their components' statuses, every notice, their language, zone and day) and kept for the
    next request of it; only the frame around it (who is signed in) is drawn each time."""
    user = _reader(request)
    key = f"status-page:{_etag(request)}"
    content = cache.get(key)
    if content is None:
        content = render_to_string("status/_content.html", _content(user), request)
        cache.set(key, content, MAX_AGE)
    context = {"content": mark_safe(content), "public_page": user is None}  # our template's
    return render(request, "status/page.html", context)


def _content(user: User | None) -> dict[str, Any]:
    seen = list(page.components(user))
    open_incidents = list(page.unresolved(user))
    zone = timezone.get_current_timezone()
    language = get_language()
    return {
        "overall": page.overall(seen, open_incidents),
        "groups": page.by_group(page.rows(seen, end=timezone.now(), zone=zone)),
        "incidents": open_incidents,
        "maintenances": list(page.active_maintenance(user)) + list(page.upcoming(user)),
        "past": list(page.past(user)),
        "language": language,
        "subscribe_form": forms.SubscribeForm(
            user=user, initial={"email": user.email if user else "", "language": language}
        ),
    }


@cached
def feed(request: HttpRequest) -> HttpResponse:
    """Atom: one entry per incident and maintenance, its updates newest first."""
    language = get_language()
    home = request.build_absolute_uri(reverse("status"))
    atom = Atom1Feed(
        title=_("Service status"),
        link=home,
        description=_("Incidents and maintenance"),
        language=language,
        feed_url=request.build_absolute_uri(),
    )
    user = _reader(request)
    notices = [*page.incidents(user)[:25], *page.maintenances(user).order_by("-starts_at")[:25]]
    for notice in sorted(notices, key=lambda n: n.updated_at, reverse=True):
        kind = "incident" if notice._meta.model_name == "incident" else "maintenance"
        text = "\n\n".join(
            f"{u.at:%Y-%m-%d %H:%M} UTC · {u.get_status_display()}: {u.body_in(language)}"
            for u in notice.updates.all()
        )
        atom.add_item(
            title=notice.name_in(language),
            link=f"{home}#{kind}-{notice.pk}",
            description=text,
            unique_id=f"{home}#{kind}-{notice.pk}",
            updateddate=notice.updated_at,
            pubdate=notice.started_at if kind == "incident" else notice.created_at,
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    atom.write(response, "utf-8")
    return response


def _json(build: Callable[[User | None, str], dict]) -> Callable[..., HttpResponse]:
    @cached
    @wraps(build)
    def view(request: HttpRequest) -> HttpResponse:
        body = build(_reader(request), request.build_absolute_uri(reverse("status")))
        return JsonResponse(body, json_dumps_params={"ensure_ascii": False})

    return view


summary_json = _json(statuspage.summary)
status_json = _json(statuspage.status)
components_json = _json(statuspage.components)
incidents_json = _json(statuspage.incidents)
unresolved_json = _json(statuspage.unresolved)
maintenances_json = _json(statuspage.maintenances)
upcoming_json = _json(statuspage.upcoming)
active_json = _json(statuspage.active)


# ---------------------------------------------------------------------- the workspace


@agent_required
def desk_incidents(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Open incidents, the latest resolved ones, and the form that declares a new one."""
    form = forms.DeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.open_incident(
                name=data["name"],
                impact=data["impact"],
                status=data["status"],
                body=data["body"],
                components=form.statuses(),
                author=request.user,
            )
        except services.StatusError as error:
            form.add_error(None, error.message)
        else:
            return redirect("desk_incident", pk=incident.pk)
    incidents = page.incidents(request.user, drafts=True)
    context = {
        "form": form,
        "open": incidents.exclude(status=IncidentStatus.RESOLVED),
        "past": page.past(request.user),
    }
    return render(request, "status/desk_incidents.html", context)


@agent_required
def desk_incident(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One incident: its updates and linked cases; post an update, answering the cases."""
    incident = get_object_or_404(page.incidents(request.user, drafts=True), pk=pk)
    form = forms.AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_incident(
                incident,
                status=data["status"],
                body=data["body"],
                components=form.statuses(),
                answer_cases=data["answer_cases"],
                resolve_cases=data["resolve_cases"],
                author=request.user,
            )
        except services.StatusError as error:
            form.add_error(None, error.message)
        else:
            return redirect("desk_incident", pk=incident.pk)
    links = incident.case_links.select_related("case").order_by("-linked_at")
    context = {"incident": incident, "form": form, "link_form": forms.LinkForm(), "links": links}
    return render(request, "status/desk_incident.html", context)


@agent_required
@require_POST
def desk_incident_link(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(page.incidents(request.user, drafts=True), pk=pk)
    form = forms.LinkForm(request.POST)
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(str(e) for e in error))
        return redirect("desk_incident", pk=pk)
    linked = 0
    if form.cleaned_data["case"]:
        cases = Case.objects.restrict(request.user, Action.CHANGE)
        case = get_object_or_404(cases, pk=form.cleaned_data["case"])
        linked += services.link_cases(incident, [case], actor=request.user)
    if form.cleaned_data["since"]:
        since = form.cleaned_data["since"]
        linked += services.link_open_cases(incident, since=since, actor=request.user)
    message = ngettext("%(n)s case linked.", "%(n)s cases linked.", linked) % {"n": linked}
    messages.success(request, message)
    return redirect("desk_incident", pk=pk)


# ---------------------------------------------------------------------- monitors and subscribers


@csrf_exempt
@require_POST
def alertmanager(request: HttpRequest) -> HttpResponse:
    """Prometheus Alertmanager's webhook receiver (``http_config.authorization``: Bearer)."""
    token = settings.STATUS_ALERTMANAGER_TOKEN
    if not token:
        detail = _("Monitor webhooks are off: the desk has no STATUS_ALERTMANAGER_TOKEN.")
        return JsonResponse({"code": "disabled", "detail": detail}, status=403)
    header = request.headers.get("authorization", "")
    offered = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if not hmac.compare_digest(offered.encode(), token.encode()):
        refusal = {"code": "unauthenticated", "detail": _("This token is not valid.")}
        response = JsonResponse(refusal, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="supportdesk"'
        return response
    try:
        delivery = services.receive_alerts(request.body.decode("utf-8", "replace"))
    except services.StatusError as error:
        return JsonResponse({"code": error.code, "detail": error.message}, status=400)
    return JsonResponse({"delivery": delivery.pk, **delivery.outcome})


@csrf_exempt
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    """The status page's subscribe form. It carries no CSRF token so that the page stays one
    answer for every visitor; a forged request could only ask for a confirmation mail that
    the address owner must still follow, so there is nothing to forge."""
    form = forms.SubscribeForm(request.POST, user=_reader(request))
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(str(e) for e in error))
        return redirect("status")
    try:
        services.subscribe(
            form.cleaned_data["email"],
            component=form.cleaned_data["component"],
            user=_reader(request),
            language=form.cleaned_data["language"],
        )
    except services.StatusError as error:
        messages.error(request, error.message)
        return redirect("status")
    return render(request, "status/subscription.html", {"state": "asked"})


def confirm_subscription(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: a page with a button, so that a mail scanner opening links confirms
    nothing."""
    if request.method == "POST":
        found = services.confirm_subscription(token)
        state = "confirmed" if found is not None else "unknown"
    else:
        state = "confirm"
    return render(request, "status/subscription.html", {"state": state})


@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in every update; a POST leaves at once (RFC 8058's one-click from the mail
    client, or the page's button). The token in the address is the proof."""
    if request.method == "POST":
        services.unsubscribe(token)
        return render(request, "status/subscription.html", {"state": "left"})
    return render(request, "status/subscription.html", {"state": "leave"})


@agent_required
@require_POST
def desk_incident_publish(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(page.incidents(request.user, drafts=True), pk=pk)
    services.publish_incident(incident, actor=request.user)
    messages.success(request, _("The incident is published."))
    return redirect("desk_incident", pk=pk)
