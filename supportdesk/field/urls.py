from django.urls import path

from supportdesk.field import views

app_name = "field"
urlpatterns = [
    path("day/", views.day, name="day"),
    path("loaners/", views.loaners, name="loaners"),
    path("cases/<int:pk>/", views.case_section, name="case"),
    path("cases/<int:pk>/visit", views.decide, name="decide"),
    path("cases/<int:pk>/repair", views.take, name="take"),
    path("cases/<int:pk>/loaner", views.lend, name="lend"),
    path("visits/<int:visit_id>/schedule", views.schedule, name="schedule"),
    path("visits/<int:visit_id>/arrive", views.arrive, name="arrive"),
    path("visits/<int:visit_id>/depart", views.depart, name="depart"),
    path("repairs/<int:repair_id>/return", views.return_repair, name="return_repair"),
    path("loans/<int:issue_id>/return", views.return_loaner, name="return_loaner"),
]
