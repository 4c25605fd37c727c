"""Background work, run by ``supportdesk worker`` through the Django tasks framework."""

from django_tasks import task

from supportdesk.tickets import services


@task()
def sweep_clocks() -> int:
    """Breach the clocks that fell due since the last sweep."""
    return services.sweep()
