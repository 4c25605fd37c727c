from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
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
]
