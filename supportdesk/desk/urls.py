from django.urls import path

from supportdesk.desk import cases, plans, workspace

urlpatterns = [
    path("", cases.home, name="home"),
    path("desk/", cases.queue_page, name="queue"),
    path("desk/counts", cases.queue_counts, name="queue_counts"),
    path("desk/bulk", workspace.bulk, name="queue_bulk"),
    path("desk/views/", workspace.save_view, name="save_view"),
    path("desk/views/<int:pk>/delete", workspace.delete_view, name="delete_view"),
    path("desk/macros/", workspace.macros, name="macros"),
    path("desk/macros/new", workspace.macro_edit, name="macro_new"),
    path("desk/macros/<int:pk>/", workspace.macro_edit, name="macro_edit"),
    path("desk/macros/<int:pk>/delete", workspace.macro_delete, name="macro_delete"),
    path("desk/cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("desk/cases/<int:pk>/reply", cases.case_reply, name="case_reply"),
    path("desk/cases/<int:pk>/update", cases.case_update, name="case_update"),
    path("desk/sla/", cases.sla_dashboard, name="sla_dashboard"),
    path("desk/sla.csv", cases.sla_dashboard_csv, name="sla_dashboard_csv"),
    path("cases/", cases.my_cases, name="my_cases"),
    path("cases/new/", cases.new_case, name="new_case"),
    path("cases/<int:pk>/", cases.my_case, name="my_case"),
    path("cases/<int:pk>/verdict", cases.case_verdict, name="case_verdict"),
    path("attachments/<int:pk>/", cases.attachment, name="attachment"),
    path("plan/", plans.my_plan, name="my_plan"),
    path("desk/plans/<slug:slug>/", plans.plan_detail, name="plan_detail"),
    path("desk/organizations/", plans.organizations, name="organizations"),
    path("desk/organizations/<slug:slug>/", plans.organization, name="organization"),
]
