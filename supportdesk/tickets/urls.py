from django.urls import path

from supportdesk.tickets import views

urlpatterns = [
    path("", views.home, name="home"),
    path("desk/", views.queue_page, name="queue"),
    path("desk/counts", views.queue_counts, name="queue_counts"),
    path("desk/cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("desk/cases/<int:pk>/reply", views.case_reply, name="case_reply"),
    path("desk/cases/<int:pk>/update", views.case_update, name="case_update"),
    path("desk/sla/", views.sla_dashboard, name="sla_dashboard"),
    path("desk/sla.csv", views.sla_dashboard_csv, name="sla_dashboard_csv"),
    path("cases/", views.my_cases, name="my_cases"),
    path("cases/new/", views.new_case, name="new_case"),
    path("cases/<int:pk>/", views.my_case, name="my_case"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
]
