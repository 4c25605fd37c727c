from django.urls import path

from supportdesk.api.main import api

urlpatterns = [path("", api.urls)]
