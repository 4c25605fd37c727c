from django.urls import path

from supportdesk.remote import views

app_name = "remote"
urlpatterns = [
    path("desk/cases/<id:pk>/remote/ask", views.ask, name="ask"),
    path("desk/cases/<id:pk>/remote/start", views.start, name="start"),
    path("desk/remote/<id:session_id>/end", views.end, name="end"),
    path("cases/<id:pk>/remote/<id:request_id>/", views.consent, name="consent"),
    path("remote/consent/<str:token>/", views.consent_link, name="consent_link"),
]
