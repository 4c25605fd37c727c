"""The status page, its Atom feed and the Statuspage-compatible JSON (read-only and cheap), and
the workspace pages where agents declare incidents, post updates and link cases.

Each answers with an ETag built from the status tables' latest saves and who is reading, so a
reader who already has the page gets a 304 without it being rendered again.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
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
    zone = timezone.get_current_timezone()
    user = _reader(request)
    parts = (request.path, get_language(), str(zone), str(timezone.localdate()))
    return page.revision(user, *parts, str(user.pk if user else ""))


def cached(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET only; ETag and 304; shared caches may keep what visitors see, not a person's view.
    A token that is not valid is a 401, never the anonymous view."""

    conditional = condition(etag_func=_etag)(view)

    @require_GET
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
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
    user = _reader(request)
    seen = list(page.components(user))
    open_incidents = list(page.unresolved(user))
    rows = page.rows(seen, end=timezone.now(), zone=timezone.get_current_timezone())
    context = {
        "overall": page.overall(seen, open_incidents),
        "groups": page.by_group(rows),
        "incidents": open_incidents,
        "maintenances": list(page.active_maintenance(user)) + list(page.upcoming(user)),
        "past": list(page.past(user)),
        "language": get_language(),
    }
    return render(request, "status/page.html", context)


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
    incidents = page.incidents(request.user)
    context = {
        "form": form,
        "open": incidents.exclude(status=IncidentStatus.RESOLVED),
        "past": page.past(request.user),
    }
    return render(request, "status/desk_incidents.html", context)


@agent_required
def desk_incident(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One incident: its updates and linked cases; post an update, answering the cases."""
    incident = get_object_or_404(page.incidents(request.user), pk=pk)
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
    incident = get_object_or_404(page.incidents(request.user), pk=pk)
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
