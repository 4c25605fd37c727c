from functools import partial
from typing import Any

from django.apps import AppConfig, apps
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _

#: Rows outside this app that decide who reads the page and what they see of it: the person,
#: their organization, contract, plan, the zone their contract's hours count in, the brand.
READERS = (
    "accounts.User",
    "accounts.Contact",
    "accounts.Agent",
    "accounts.Organization",
    "accounts.Brand",
    "plans.Contract",
    "plans.Plan",
    "plans.BusinessCalendar",
)


def _changed(**kwargs: Any) -> None:
    from supportdesk.status import cache, services

    services.raise_revision()
    transaction.on_commit(cache.forget)


def _readers_changed(**kwargs: Any) -> None:
    """Raised once the change is committed: such rows are saved in transactions of any length
    (an import), which must not hold the revision's row meanwhile."""
    from supportdesk.status import services
    from supportdesk.status.models import Revision

    transaction.on_commit(partial(services.raise_revision, Revision.READERS))


class StatusConfig(AppConfig):
    name = "supportdesk.status"
    label = "status"
    verbose_name = _("Service status")

    def ready(self) -> None:
        """Any saved status row (services or the admin) raises the revision and retires the
        page's kept answers; a saved row that decides who reads what raises the revision."""
        for model in self.get_models(include_auto_created=True):
            if model is self.get_model("Revision"):
                continue
            post_save.connect(_changed, sender=model, dispatch_uid=f"status-{model.__name__}")
            post_delete.connect(_changed, sender=model, dispatch_uid=f"status-del-{model.__name__}")
            m2m_changed.connect(_changed, sender=model, dispatch_uid=f"status-m2m-{model.__name__}")
        for label in READERS:
            model = apps.get_model(label)
            uid = f"status-reader-{label}"
            post_save.connect(_readers_changed, sender=model, dispatch_uid=uid)
            post_delete.connect(_readers_changed, sender=model, dispatch_uid=f"{uid}-del")
