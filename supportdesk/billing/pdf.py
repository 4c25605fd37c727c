"""A statement as a PDF a provider can send to its customer, rendered with fpdf2.

The text is the customer's: Polish and Portuguese names, notes and case subjects. A Unicode
TrueType font is embedded when one is installed (DejaVu Sans, Debian's ``fonts-dejavu-core``);
without it the core Helvetica is used and letters outside Latin-1 are transliterated
(``ł`` → ``l``, ``ą`` → ``a``) rather than lost.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from supportdesk.billing.statement import Statement, amount_shown, hm, hours_shown
from supportdesk.pdf import transliterate
from supportdesk.pdf import unicode_fonts as _fonts

logging.getLogger("fontTools").setLevel(logging.WARNING)  # subsetting chatter, one line a table


class _Document(FPDF):
    def __init__(self, footer_text: str, clean: Callable[[str], str], family: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._footer_text, self._clean, self._family = footer_text, clean, family

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self._family, "", 8)
        self.cell(0, 5, self._clean(f"{self._footer_text} · {self.page_no()}/{{nb}}"), align="C")


def as_pdf(statement: Statement) -> bytes:
    """The whole statement: provider and plan, entries, drawn sources, overage, balances."""
    fonts = _fonts()
    clean: Callable[[str], str] = (lambda s: s) if fonts else transliterate
    family = "DejaVu" if fonts else "helvetica"
    month_name = formats.date_format(statement.month, "YEAR_MONTH_FORMAT")
    org = statement.organization
    brand = org.brand or statement.plan.brand
    provider = (
        brand.name_in(get_language())
        if brand is not None
        else getattr(settings, "PROVIDER_NAME", "") or "Supportdesk"
    )
    pdf = _Document(f"{provider} · {org.name} · {month_name}", clean, family)
    if fonts:
        pdf.add_font("DejaVu", "", str(fonts[0]))
        pdf.add_font("DejaVu", "B", str(fonts[1]))
    pdf.set_title(clean(_("Support time statement") + f" {org.slug} {statement.month:%Y-%m}"))
    pdf.set_author(clean(provider))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.alias_nb_pages()
    pdf.add_page()

    def text(size: float, value: str, bold: bool = False, height: float = 6) -> None:
        pdf.set_font(family, "B" if bold else "", size)
        pdf.multi_cell(0, height, clean(value), new_x="LMARGIN", new_y="NEXT")

    def table(rows: list[list[str]], widths: tuple[float, ...], align: str = "LEFT") -> None:
        pdf.set_font(family, "", 8)
        with pdf.table(
            col_widths=widths,
            text_align=align,
            line_height=4.5,
            width=pdf.epw,
            headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
        ) as grid:
            for values in rows:
                row = grid.row()
                for value in values:
                    row.cell(clean(value))
        pdf.ln(3)

    zone = statement.zone
    text(16, _("Support time statement"), bold=True, height=9)
    text(12, month_name, height=7)
    pdf.ln(2)
    period = "{} – {}".format(
        formats.date_format(statement.month, "SHORT_DATE_FORMAT"),
        formats.date_format(statement.last_day, "SHORT_DATE_FORMAT"),
    )
    facts = [
        (_("Provider"), provider),
        (_("Customer"), f"{org.name} ({org.slug})"),
        (_("Plan"), statement.plan.name),
        (_("Period"), f"{period} · {getattr(zone, 'key', zone)}"),
        (_("Currency"), statement.currency),
        (
            _("Blocks"),
            _("in business hours %(a)s min, outside them %(b)s min, each part rounded up")
            % {
                "a": int(statement.plan.block_in_hours.total_seconds() // 60),
                "b": int(statement.plan.block_out_of_hours.total_seconds() // 60),
            },
        ),
    ]
    for label, value in facts:
        pdf.set_font(family, "B", 9)
        pdf.cell(32, 5, clean(label))
        pdf.set_font(family, "", 9)
        pdf.multi_cell(0, 5, clean(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    text(12, _("Work"), bold=True, height=7)
    rows = [
        [
            _("Date"),
            _("Case"),
            _("Agent"),
            _("Time"),
            _("In hours"),
            _("Outside"),
            _("Billed in"),
            _("Billed out"),
        ]
    ]
    for e in statement.entries:
        start, end = e.start.astimezone(zone), e.end.astimezone(zone)
        rows.append(
            [
                start.strftime("%Y-%m-%d"),
                e.case,
                e.by,
                f"{start:%H:%M}–{end:%H:%M}"
                + ("" if e.billable else " " + _("(not billable)"))
                + (" " + _("(over a working day)") if e.long_entry else ""),
                hm(e.in_hours_minutes),
                hm(e.out_of_hours_minutes),
                hm(e.billed_in_hours_minutes),
                hm(e.billed_out_of_hours_minutes),
            ]
        )
    if len(rows) == 1:
        rows.append([_("No work recorded this month."), "", "", "", "", "", "", ""])
    table(rows, (18, 20, 42, 30, 15, 15, 15, 17))
    text(
        9,
        _("Billed: %(in)s in business hours, %(out)s outside them; not billable: %(nb)s.")
        % {
            "in": hm(statement.billed_in_minutes),
            "out": hm(statement.billed_out_minutes),
            "nb": hm(statement.non_billable_minutes),
        },
    )
    if statement.long_entries:
        text(9, statement.long_entries_note, bold=True)
    pdf.ln(2)

    text(12, _("Drawn from"), bold=True, height=7)
    rows = [[_("Source"), _("Hours")]]
    rows += [[s.label, hm(s.minutes)] for s in statement.sources]
    rows.append([_("Overage"), hm(statement.overage_in_minutes + statement.overage_out_minutes)])
    table(rows, (140, 32))

    text(12, _("Overage"), bold=True, height=7)
    cur = statement.currency
    rows = [
        [_("Line"), _("Time"), _("Rate per hour"), _("Amount")],
        [
            _("In business hours"),
            hm(statement.overage_in_minutes),
            f"{amount_shown(statement.plan.rate_in_hours)} {cur}",
            f"{amount_shown(statement.overage_in_amount)} {cur}",
        ],
        [
            _("Outside business hours"),
            hm(statement.overage_out_minutes),
            f"{amount_shown(statement.plan.rate_out_of_hours)} {cur}",
            f"{amount_shown(statement.overage_out_amount)} {cur}",
        ],
        [_("Total"), "", "", f"{amount_shown(statement.overage_amount)} {cur}"],
    ]
    table(rows, (70, 30, 36, 36))

    text(12, _("Balances at the end of the month"), bold=True, height=7)
    rows = [[_("Source"), _("Valid"), _("Hours left")]]
    for b in statement.balances:
        rows.append(
            [
                _("Single pack of %(day)s") % {"day": b.purchased.isoformat()},
                _("until %(day)s") % {"day": b.expires.isoformat()},
                hours_shown(b.minutes_left),
            ]
        )
    rows.append(
        [
            _("Free hours from missed guarantees"),
            _("no expiry"),
            hours_shown(statement.credit_minutes_left),
        ]
    )
    table(rows, (90, 50, 32))
    lapsed = statement.lapsed_monthly_minutes or statement.lapsed_singles
    if lapsed:
        text(12, _("Lapsed this month"), bold=True, height=7)
        rows = [[_("Source"), _("Hours")]]
        if statement.lapsed_monthly_minutes:
            rows.append(
                [
                    _("Monthly pack (unused hours do not carry over)"),
                    hours_shown(statement.lapsed_monthly_minutes),
                ]
            )
        for b in statement.lapsed_singles:
            rows.append(
                [
                    _("Single pack of %(day)s, expired %(exp)s")
                    % {"day": b.purchased.isoformat(), "exp": b.expires.isoformat()},
                    hours_shown(b.minutes_left),
                ]
            )
        table(rows, (140, 32))
    pdf.set_font(family, "", 7)
    generated = formats.date_format(timezone.localtime(timezone.now(), zone), "DATETIME_FORMAT")
    pdf.multi_cell(
        0,
        4,
        clean(
            _("Times are in %(zone)s. Packs and credits are never refunded. Generated %(at)s.")
            % {"zone": getattr(zone, "key", zone), "at": generated}
        ),
    )
    return bytes(pdf.output())
