"""The signed letter of agency, as a PDF attached to the request's case: what the owner agreed
to, the name they typed, the instant and the address they signed from."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from fpdf import FPDF

from supportdesk.accounts.models import Organization
from supportdesk.pdf import transliterate, unicode_fonts


def provider_name(organization: Organization) -> str:
    """Who the organization buys from: its brand, in the active language, else the desk."""
    if organization.brand is not None:
        return organization.brand.name_in(get_language())
    return settings.PROVIDER_NAME


def consent_text(organization: Organization) -> str:
    """What the owner agrees to by signing: shown on the form and printed in the letter."""
    return _(
        "I am the owner of %(organization)s's account and authorise %(provider)s to act on "
        "its behalf for this request, including with its current provider, and I confirm that "
        "the information given is correct."
    ) % {"organization": organization.name, "provider": provider_name(organization)}


@dataclass(frozen=True)
class Letter:
    organization: Organization
    request_name: str
    signer: str
    signed_at: datetime
    address: str
    #: (label, value) lines of the request the letter is for: numbers, location.
    facts: Sequence[tuple[str, str]]


def letter_pdf(letter: Letter) -> bytes:
    """The letter, in the active language; ``signed_at`` is shown in its own time zone."""
    fonts = unicode_fonts()
    clean: Callable[[str], str] = (lambda s: s) if fonts else transliterate
    family = "DejaVu" if fonts else "helvetica"
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    if fonts:
        pdf.add_font("DejaVu", "", str(fonts[0]))
        pdf.add_font("DejaVu", "B", str(fonts[1]))
    pdf.set_title(clean(_("Letter of agency")))
    pdf.set_author(clean(letter.signer))
    pdf.add_page()

    def text(size: float, value: str, bold: bool = False, height: float = 6) -> None:
        pdf.set_font(family, "B" if bold else "", size)
        pdf.multi_cell(0, height, clean(value), new_x="LMARGIN", new_y="NEXT")

    text(16, _("Letter of agency"), bold=True, height=9)
    text(11, f"{letter.request_name} · {letter.organization.name}", height=7)
    pdf.ln(3)
    for label, value in letter.facts:
        text(10, label, bold=True, height=5)
        text(10, value, height=5)
        pdf.ln(1)
    pdf.ln(3)
    text(10, consent_text(letter.organization), height=5)
    pdf.ln(4)
    signed = formats.date_format(letter.signed_at, "DATETIME_FORMAT")
    for label, value in (
        (_("Signed by"), letter.signer),
        (_("Signed at"), f"{signed} ({letter.signed_at.tzinfo})"),
        (_("From the address"), letter.address or "—"),
    ):
        pdf.set_font(family, "B", 10)
        pdf.cell(40, 6, clean(label))
        pdf.set_font(family, "", 10)
        pdf.multi_cell(0, 6, clean(value), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
