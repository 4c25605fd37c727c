from django.urls import path, register_converter

from supportdesk.billing import views


class MonthConverter:
    regex = r"\d{4}-\d{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class FileKindConverter:
    regex = r"csv|pdf"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(MonthConverter, "month")
register_converter(FileKindConverter, "filekind")

app_name = "billing"
urlpatterns = [
    path("desk/cases/<int:pk>/time/start", views.timer_start, name="timer_start"),
    path("desk/cases/<int:pk>/time/stop", views.timer_stop, name="timer_stop"),
    path("desk/cases/<int:pk>/time/discard", views.timer_discard, name="timer_discard"),
    path("desk/cases/<int:pk>/time/add", views.entry_add, name="entry_add"),
    path("desk/time/<int:entry_id>/edit", views.entry_edit, name="entry_edit"),
    path("desk/time/<int:entry_id>/delete", views.entry_delete, name="entry_delete"),
    path("desk/organizations/<slug:slug>/statement/", views.org_statement, name="org_statement"),
    path(
        "desk/organizations/<slug:slug>/statement/<month:month>.<filekind:kind>",
        views.org_statement_file,
        name="org_statement_file",
    ),
    path(
        "desk/organizations/<slug:slug>/statement/<month:month>/close",
        views.month_close,
        name="month_close",
    ),
    path("account/statement/", views.my_statement, name="my_statement"),
    path(
        "account/statement/<month:month>.<filekind:kind>",
        views.my_statement_file,
        name="my_statement_file",
    ),
]
