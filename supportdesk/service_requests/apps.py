from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceRequestsConfig(AppConfig):
    name = "supportdesk.service_requests"
    label = "service_requests"
    verbose_name = _("Service requests")
