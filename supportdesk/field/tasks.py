"""Background work of field service, run by ``supportdesk worker``."""

from django_tasks import task

from supportdesk.field import services


@task()
def remind_contract_ends() -> int:
    """Remind account managers and customers of contracts ending within their plan's notice."""
    return services.send_renewal_reminders()
