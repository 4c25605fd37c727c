"""Requests carrying a NUL character are answered 400 before any view sees them.

No field of the desk can hold a NUL (PostgreSQL's text cannot, so neither may SQLite's), and a
lookup with one is a database error on PostgreSQL: a NUL in the path, the query or a form is
refused here, once, with the parameter it came in. The API is left to its schemas, which refuse
NUL in every text field and answer 422 naming it.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

NUL = "\x00"


def _carrier(request: HttpRequest) -> str | None:
    """The name of the parameter holding a NUL ("" for the path itself), or None.

    A form is read only when urlencoded (its body stays readable to the view); multipart
    forms reach Django's form fields, which refuse NUL themselves."""
    if NUL in request.path:
        return ""
    sources = [request.GET]
    if request.content_type == "application/x-www-form-urlencoded":
        sources.append(request.POST)
    for values in sources:
        for name, found in values.lists():
            if NUL in name or any(NUL in value for value in found):
                return name.replace(NUL, "")
    return None


def refusal(request: HttpRequest) -> HttpResponse | None:
    """The 400 a request carrying a NUL gets, or None."""
    name = _carrier(request)
    if name is None:
        return None
    text = (
        _("The address contains a NUL character, which no page accepts.")
        if not name
        else _("%(name)s contains a NUL character, which no field accepts.") % {"name": name}
    )
    return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")


class RefuseNul:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith("/api/"):
            refused = refusal(request)
            if refused is not None:
                return refused
        return self.get_response(request)
