from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmailChannelConfig(AppConfig):
    name = "supportdesk.channels.email"
    label = "email_channel"
    verbose_name = _("Email")

    def ready(self) -> None:
        # The outbox (in tickets) knows nothing of inbound mail; this gives every reply the
        # In-Reply-To/References of the customer's messages and the right From address.
        from supportdesk.channels.email.outgoing import thread_headers
        from supportdesk.tickets import outbox

        outbox.register_thread_hook(thread_headers)
