from django.urls import path

from supportdesk.knowledge import views

urlpatterns = [
    path("kb/", views.home, name="kb"),
    path("kb/search.json", views.search_json, name="kb_search_json"),
    path("kb/article/<str:key>/", views.article, name="kb_article"),
    path("kb/article/<str:key>/vote", views.vote, name="kb_vote"),
    path("desk/kb/", views.desk_list, name="desk_kb"),
    path("desk/kb/new", views.desk_edit, name="desk_kb_new"),
    path("desk/kb/report", views.desk_report, name="desk_kb_report"),
    path("desk/kb/links", views.desk_links, name="desk_kb_links"),
    path("desk/kb/<str:key>/edit", views.desk_edit, name="desk_kb_edit"),
    path("desk/kb/<str:key>/history", views.desk_history, name="desk_kb_history"),
]
