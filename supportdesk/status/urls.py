from django.urls import path

from supportdesk.status import views

urlpatterns = [
    path("status/", views.status_page, name="status"),
    path("status/history.atom", views.feed, name="status_feed"),
    path("status/subscribe", views.subscribe, name="status_subscribe"),
    path(
        "status/subscriptions/<str:token>/confirm",
        views.confirm_subscription,
        name="status_confirm",
    ),
    path("status/subscriptions/<str:token>/leave", views.unsubscribe, name="status_unsubscribe"),
    path("status/webhooks/alertmanager", views.alertmanager, name="status_alertmanager"),
    path("desk/status/", views.desk_incidents, name="desk_incidents"),
    path("desk/status/incidents/<int:pk>/", views.desk_incident, name="desk_incident"),
    path(
        "desk/status/incidents/<int:pk>/link", views.desk_incident_link, name="desk_incident_link"
    ),
    path(
        "desk/status/incidents/<int:pk>/publish",
        views.desk_incident_publish,
        name="desk_incident_publish",
    ),
    path("status/api/v2/summary.json", views.summary_json, name="status_summary"),
    path("status/api/v2/status.json", views.status_json, name="status_status"),
    path("status/api/v2/components.json", views.components_json, name="status_components"),
    path("status/api/v2/incidents.json", views.incidents_json, name="status_incidents"),
    path(
        "status/api/v2/incidents/unresolved.json",
        views.unresolved_json,
        name="status_unresolved",
    ),
    path(
        "status/api/v2/scheduled-maintenances.json",
        views.maintenances_json,
        name="status_maintenances",
    ),
    path(
        "status/api/v2/scheduled-maintenances/upcoming.json",
        views.upcoming_json,
        name="status_upcoming",
    ),
    path(
        "status/api/v2/scheduled-maintenances/active.json",
        views.active_json,
        name="status_active",
    ),
]
