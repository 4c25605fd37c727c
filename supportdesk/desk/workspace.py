"""The workspace's own pages beside the queue: changes to many cases at once, saved views and
canned replies. Thin: they read through ``visible_to``/``restrict`` and write through the
services."""

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from supportdesk.accounts.access import Action, AuthenticatedHttpRequest, agent_required
from supportdesk.desk import services
from supportdesk.desk.forms import BulkForm, MacroForm, SavedViewForm
from supportdesk.desk.models import Macro, SavedView
from supportdesk.tickets import queue
from supportdesk.tickets.models import Case
from supportdesk.tickets.services import CaseChanges

#: At most this many cases change in one request.
BULK_LIMIT = 200


def _filters(request: AuthenticatedHttpRequest) -> queue.QueueFilter:
    """The queue's filters the form was sent under (its ``filters`` field, the queue's query
    string), read as the queue reads them."""
    return queue.QueueFilter.from_query(QueryDict(request.POST.get("filters", "")), request.user)


def _back_to_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The queue with the filters the agent was working under (re-read, never trusted as a URL)."""
    query = urlencode(_filters(request).active)
    url = reverse("queue")
    return redirect(f"{url}?{query}" if query else url)


def _case_ids(request: AuthenticatedHttpRequest) -> list[int]:
    raw = request.POST.getlist("case")[:BULK_LIMIT]
    return [int(v) for v in raw if v.isascii() and v.isdigit() and len(v) < 19]


@agent_required
@require_POST
def bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Assign or set the status of the cases selected in the queue, case by case: those that
    refuse are named with the reason, the others change."""
    form = BulkForm(request.POST)
    ids = _case_ids(request)
    if not ids:
        messages.error(request, _("Select at least one case."))
        return _back_to_queue(request)
    if not form.is_valid():
        messages.error(request, _("Check the values and try again."))
        return _back_to_queue(request)
    data = form.cleaned_data
    changes = CaseChanges(
        assignee=data["assignee"], team=data["team"], status=data["status"] or None
    )
    if changes == CaseChanges():
        messages.error(request, _("Choose an assignee, a team or a status to set."))
        return _back_to_queue(request)
    cases = Case.objects.restrict(request.user, Action.CHANGE).filter(pk__in=ids).order_by("pk")
    result = services.update_cases(cases, changes, actor=request.user)
    if result.changed:
        n = len(result.changed)
        messages.success(
            request, ngettext("%(n)s case updated.", "%(n)s cases updated.", n) % {"n": n}
        )
    for case, reason in result.refused:
        messages.error(
            request, _("%(case)s not changed: %(reason)s") % {"case": case.label, "reason": reason}
        )
    return _back_to_queue(request)


# ----------------------------------------------------------------------------- saved views


@agent_required
@require_POST
def save_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Keep the queue's current filters (sent with the form) under a name."""
    form = SavedViewForm(request.POST)
    selected = _filters(request)
    if not form.is_valid() or not selected.active:
        messages.error(request, _("Filter the queue, then give the view a name."))
        return _back_to_queue(request)
    view = services.save_view(
        request.user, form.cleaned_data["name"], selected.active, shared=form.cleaned_data["shared"]
    )
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return _back_to_queue(request)


@agent_required
@require_POST
def delete_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    view = get_object_or_404(SavedView.objects.restrict(request.user, Action.CHANGE), pk=pk)
    services.delete_view(view)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("queue")


# --------------------------------------------------------------------------- canned replies


@agent_required
def macros(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "desk/macros.html",
        {"macros": Macro.objects.visible_to(request.user), "form": MacroForm()},
    )


@agent_required
def macro_edit(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    macro = None
    if pk is not None:
        macro = get_object_or_404(Macro.objects.restrict(request.user, Action.CHANGE), pk=pk)
    initial = {"name": macro.name, "body": macro.body, "status": macro.status} if macro else None
    form = MacroForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        macro = services.save_macro(macro, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Canned reply “%(name)s” saved.") % {"name": macro.name})
        return redirect("macros")
    status = 400 if request.method == "POST" else 200
    return render(request, "desk/macro_edit.html", {"form": form, "macro": macro}, status=status)


@agent_required
@require_POST
def macro_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    macro = get_object_or_404(Macro.objects.restrict(request.user, Action.CHANGE), pk=pk)
    services.delete_macro(macro)
    messages.success(request, _("Canned reply “%(name)s” deleted.") % {"name": macro.name})
    return redirect("macros")
