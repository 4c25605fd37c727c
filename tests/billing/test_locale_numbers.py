"""Hours and money in a statement, written the reader's way: "22,50 EUR" in Polish and
Portuguese, on the page and in the PDF."""

import contextlib
import re
import zlib
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from supportdesk.billing import pdf
from supportdesk.billing.choices import PackKind
from supportdesk.billing.models import HourPack
from supportdesk.billing.statement import build_statement


@pytest.fixture
def march(bw, work):
    HourPack.objects.create(
        organization=bw.org, kind=PackKind.SINGLE, hours=Decimal("5"), purchased=date(2026, 3, 1)
    )
    work("2026-03-02 17:50", "2026-03-02 18:10")  # 15 min outside business hours at 90/h
    work("2026-03-03 10:00", "2026-03-03 10:20")
    return bw


def pdf_text(document: bytes) -> str:
    """The text of a PDF drawn in a core font: its literal strings, streams inflated."""
    found: list[bytes] = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", document, re.S):
        with contextlib.suppress(zlib.error):
            stream = zlib.decompress(stream)
        found += re.findall(rb"\((.*?)\)\s*Tj", stream)
    return " ".join(s.decode("latin-1") for s in found)


@pytest.mark.parametrize(
    ("language", "shown", "not_shown"),
    [
        ("pl", ["60,00 EUR", "90,00 EUR", "0,00 EUR", "3,75"], ["60.00", "90.00", "3.75"]),
        ("pt", ["60,00 EUR", "90,00 EUR", "0,00 EUR", "3,75"], ["60.00", "90.00", "3.75"]),
        ("en", ["60.00 EUR", "90.00 EUR", "3.75"], ["60,00", "3,75"]),
    ],
)
def test_a_statement_pdf_writes_numbers_the_locale_s_way(
    march, monkeypatch, language, shown, not_shown
):
    monkeypatch.setattr(pdf, "_fonts", lambda: None)  # a core font: its text stays readable
    with translation.override(language):
        text = pdf_text(pdf.as_pdf(build_statement(march.org, date(2026, 3, 1))))
    for number in shown:
        assert number in text, (number, text)
    for number in not_shown:
        assert number not in text, (number, text)
