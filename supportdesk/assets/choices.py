from django.db import models
from django.utils.translation import gettext_lazy as _


class DeviceClass(models.TextChoices):
    """What kind of device it is: what a replacement of similar class means."""

    LAPTOP = "laptop", _("Laptop")
    DESKTOP = "desktop", _("Desktop")
    PRINTER = "printer", _("Printer")
    PHONE = "phone", _("Phone")
    TABLET = "tablet", _("Tablet")
    SERVER = "server", _("Server")
    NETWORK = "network", _("Network device")
    OTHER = "other", _("Other")
