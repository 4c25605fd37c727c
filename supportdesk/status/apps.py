from typing import Any

from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _changed(**kwargs: Any) -> None:
    from supportdesk.status import cache

    transaction.on_commit(cache.forget)


class StatusConfig(AppConfig):
    name = "supportdesk.status"
    label = "status"
    verbose_name = _("Service status")

    def ready(self) -> None:
        """Any saved status row (services or the admin) retires the page's kept answers."""
        for model in self.get_models(include_auto_created=True):
            post_save.connect(_changed, sender=model, dispatch_uid=f"status-{model.__name__}")
            post_delete.connect(_changed, sender=model, dispatch_uid=f"status-del-{model.__name__}")
            m2m_changed.connect(_changed, sender=model, dispatch_uid=f"status-m2m-{model.__name__}")
