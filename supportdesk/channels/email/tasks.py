"""Background work of the email channel, run by ``supportdesk worker``."""

from django_tasks import task

from supportdesk.channels.email import imap, intake


@task()
def poll_mailboxes() -> int:
    """Fetch new mail from the IMAP mailboxes due for a poll; finish any stuck intake."""
    intake.process_pending()
    return imap.poll_due()
