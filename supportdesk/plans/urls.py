from django.urls import path

from supportdesk.plans import views

urlpatterns = [
    path("plan/", views.my_plan, name="my_plan"),
    path("desk/plans/<slug:slug>/", views.plan_detail, name="plan_detail"),
    path("desk/organizations/", views.organizations, name="organizations"),
    path("desk/organizations/<slug:slug>/", views.organization, name="organization"),
]
