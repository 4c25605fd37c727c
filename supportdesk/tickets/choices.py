from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.plans.choices import Channel, Entitlement, Way, channel_label

#: The way in each channel is under a plan's entitlement matrix; the rest have none.
CHANNEL_WAYS: dict[str, Way] = {
    Channel.WEB: Way.TICKET,
    Channel.API: Way.TICKET,
    Channel.EMAIL: Way.EMAIL,
    Channel.CHAT: Way.CHAT,
    Channel.PHONE: Way.PHONE,
}

#: Channels the seeds say carry no response time, whatever the plan.
UNGUARANTEED_CHANNELS = frozenset({Channel.SMS, Channel.WHATSAPP, Channel.SOCIAL})


class Priority(models.TextChoices):
    P1 = "P1", _("P1 (critical)")
    P2 = "P2", _("P2 (high)")
    P3 = "P3", _("P3 (normal)")
    P4 = "P4", _("P4 (low)")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING)


class Level(models.TextChoices):
    L1 = "L1", _("Level 1")
    L2 = "L2", _("Level 2")


class MessageKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")
    NOTE = "note", _("Internal note")
    AUTOMATIC = "automatic", _("Automatic")


class EventKind(models.TextChoices):
    CREATED = "created", _("Case received")
    MESSAGE = "message", _("Message")
    STATUS = "status", _("Status changed")
    PRIORITY = "priority", _("Priority changed")
    ASSIGNEE = "assignee", _("Assignee changed")
    LEVEL = "level", _("Level changed")
    TEAM = "team", _("Team changed")
    CLOCK_STARTED = "clock_started", _("Clock started")
    CLOCK_PAUSED = "clock_paused", _("Clock paused")
    CLOCK_RESUMED = "clock_resumed", _("Clock resumed")
    CLOCK_MET = "clock_met", _("Clock met")
    CLOCK_BREACHED = "clock_breached", _("Clock breached")
    CLOCK_RETARGETED = "clock_retargeted", _("Clock target changed")
    ESCALATED = "escalated", _("Escalated")
    CREDITED = "credited", _("Credit granted")
    NOTIFIED = "notified", _("Notification queued")
    WORK = "work", _("Time recorded")
    WORK_REMOVED = "work_removed", _("Time entry removed")
    WORK_CHANGED = "work_changed", _("Time entry changed")
    DIRECT_LEVEL_2 = "direct_level_2", _("Started at Level 2")
    CALL_ANSWERED = "call_answered", _("Call answered")
    VISIT_NEEDED = "visit_needed", _("On-site visit decided")
    VISIT_SCHEDULED = "visit_scheduled", _("Visit scheduled")
    VISIT_ARRIVED = "visit_arrived", _("Technician arrived")
    VISIT_DEPARTED = "visit_departed", _("Technician left")
    REPAIR_TAKEN = "repair_taken", _("Device taken for repair")
    REPAIR_RETURNED = "repair_returned", _("Device returned from repair")
    LOANER_ISSUED = "loaner_issued", _("Loaner issued")
    LOANER_RETURNED = "loaner_returned", _("Loaner returned")
    REMOTE_ASKED = "remote_asked", _("Consent to remote help asked")
    REMOTE_CONSENTED = "remote_consented", _("Consent to remote help given")
    REMOTE_STARTED = "remote_started", _("Remote session started")
    REMOTE_ENDED = "remote_ended", _("Remote session ended")
    ASSET = "asset", _("Device changed")
    COVERAGE = "coverage", _("Coverage changed")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Coverage(models.TextChoices):
    COVERED = "covered", _("covered by %(param)s")
    NO_PLAN = "no_plan", _("no support plan")
    NO_CONTRACT = "no_contract", _("no contract active on %(param)s")
    SENDER_NOT_REGISTERED = "sender_not_registered", _("sender not registered")
    CHANNEL_UNGUARANTEED = "channel_unguaranteed", _("channel %(param)s carries no guarantee")
    NOT_DESIGNATED = "not_designated", _("not sent to the designated address %(param)s")
    NOT_ENTITLED = "not_entitled", _("the requester's role does not include %(param)s")
    DEVICE_NOT_COVERED = "device_not_covered", _("device %(param)s is not covered by the contract")
    SENDER_FAILED = (
        "sender_failed",
        _("the sender could not be verified for %(param)s: held for review"),
    )


def entitlement_text(key: str) -> str:
    """An entitlement as a sentence names it: "level 1 support by email"."""
    return str(Entitlement(key).label).lower() if key in Entitlement.values else key


def coverage_text(code: str, param: str = "") -> str:
    if code == Coverage.NOT_ENTITLED:
        param = entitlement_text(param)
    elif code == Coverage.CHANNEL_UNGUARANTEED:
        param = channel_label(param)
    return str(Coverage(code).label) % {"param": param}
