"""Named values of request types: who may submit one, the kinds of fields a form has."""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.plans.choices import Metric


class Who(models.TextChoices):
    """Who in the customer's organization may submit a request type."""

    ANY = "any", _("Anyone in the organization")
    ADMINS = "admins", _("Administrators")
    OWNER = "owner", _("The owner only")


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    CHOICE = "choice", _("Choice")
    DATE = "date", _("Date")
    PHONE_NUMBERS = "phone_numbers", _("Phone numbers")
    ADDRESS = "address", _("Address")
    FILE = "file", _("File")
    SIGNATURE = "signature", _("Signature")


#: The milestones a request type may promise, in the order they come.
MILESTONES = (Metric.CONFIRMATION, Metric.COMPLETION)

#: File types a form may accept: each one recognised from the file's first bytes. Text formats
#: (HTML, SVG) are never among them: they cannot be told apart from their name alone, and a
#: browser would run their scripts.
FILE_TYPES = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WebP",
}

#: The parts of an address, in the order a form asks for them.
ADDRESS_PARTS = ("street", "postcode", "city", "country")


class RequestErrorCode(StrEnum):
    #: The submitter's role may not submit this type, or sign it.
    NOT_ALLOWED = "not_allowed"
    #: A field's value or file is wrong; ``field`` names it.
    INVALID = "invalid"
