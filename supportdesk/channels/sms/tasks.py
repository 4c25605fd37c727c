"""Background work of the text channel, run by ``supportdesk worker``."""

from django_tasks import task

from supportdesk.channels.sms import services


@task()
def finish_texts() -> int:
    """Put on a case the texts that came in but could not be acted on at once."""
    return services.finish_pending()
