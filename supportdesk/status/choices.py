"""The status page's named values: Statuspage's own, so its widgets and monitors read ours."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ComponentStatus(models.TextChoices):
    OPERATIONAL = "operational", _("Operational")
    DEGRADED = "degraded_performance", _("Degraded performance")
    PARTIAL_OUTAGE = "partial_outage", _("Partial outage")
    MAJOR_OUTAGE = "major_outage", _("Major outage")
    UNDER_MAINTENANCE = "under_maintenance", _("Under maintenance")


#: From best to worst: a day's bar shows the worst status the component had that day.
SEVERITY: dict[str, int] = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED: 2,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.MAJOR_OUTAGE: 4,
}

#: Statuses that count against uptime (maintenance is announced, so it does not).
OUTAGES: frozenset[str] = frozenset({ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.MAJOR_OUTAGE})


class Audience(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    ORGANIZATIONS = "organizations", _("Given organizations")
    PLANS = "plans", _("Customers of given plans")


class Impact(models.TextChoices):
    NONE = "none", _("None")
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


#: The page's overall indicator from the worst component status (Statuspage's ``indicator``).
INDICATOR: dict[str, str] = {
    ComponentStatus.OPERATIONAL: Impact.NONE,
    ComponentStatus.UNDER_MAINTENANCE: Impact.NONE,
    ComponentStatus.DEGRADED: Impact.MINOR,
    ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
    ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL,
}
IMPACT_ORDER: list[str] = [Impact.NONE, Impact.MINOR, Impact.MAJOR, Impact.CRITICAL]


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")


class MaintenanceStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    VERIFYING = "verifying", _("Verifying")
    COMPLETED = "completed", _("Completed")
