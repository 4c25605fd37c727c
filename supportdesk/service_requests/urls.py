from django.urls import path

from supportdesk.service_requests import views

urlpatterns = [
    path("requests/", views.request_types, name="request_types"),
    path("requests/new/<slug:slug>/", views.new_request, name="new_request"),
    path("requests/<id:pk>/", views.request_page, name="service_request"),
    path(
        "desk/requests/<id:pk>/checklist/<id:index>",
        views.tick_item,
        name="request_checklist_item",
    ),
    path(
        "desk/requests/<id:pk>/milestones/<slug:metric>",
        views.meet_milestone,
        name="request_milestone",
    ),
]
