from django.conf import settings
from django.contrib import admin
from django.urls import include, path, register_converter
from django.views.generic import RedirectView


class RowId:
    """``<id:pk>``: a number that can name a row (a bigger one is a 404, not a database error:
    SQLite refuses integers past 2**63 in lookups Django does not bound for it)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RowId, "id")

urlpatterns = [
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico where a page names no icon (files, the API's JSON).
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.svg")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("supportdesk.api.urls")),
    path("", include("supportdesk.accounts.urls")),
    path("", include("supportdesk.desk.urls")),
    path("", include("supportdesk.channels.email.urls")),
    path("", include("supportdesk.channels.chat.urls")),
    path("", include("supportdesk.channels.voice.urls")),
    path("", include("supportdesk.channels.sms.urls")),
    path("", include("supportdesk.billing.urls")),
    path("", include("supportdesk.knowledge.urls")),
    path("", include("supportdesk.status.urls")),
    path("", include("supportdesk.service_requests.urls")),
    path("", include("supportdesk.remote.urls")),
    path("desk/field/", include("supportdesk.field.urls")),
]
