from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "supportdesk.billing"
    label = "billing"
    verbose_name = _("Billing")
