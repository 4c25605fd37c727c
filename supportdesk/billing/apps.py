from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "supportdesk.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        # Tickets knows nothing of billing: a missed guarantee's free hours are granted through
        # its breach hook, in the same transaction as the breach.
        from supportdesk.billing.services import grant_breach_credits
        from supportdesk.tickets import services as ticket_services

        ticket_services.register_breach_hook(grant_breach_credits)
