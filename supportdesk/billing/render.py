"""A statement as data: JSON (minutes as integers, amounts as strings: no float rounds a
bill) and CSV."""

import csv
import io
from typing import Any

from supportdesk.billing.statement import Statement, hours_text


def as_dict(statement: Statement) -> dict[str, Any]:
    """The statement as the API and `statement --json` give it; instants in the plan's zone."""
    iso = statement.iso
    return {
        "org": statement.organization.slug,
        "month": statement.month.strftime("%Y-%m"),
        "currency": statement.currency,
        "entries": [
            {
                "case": e.case,
                "by": e.by,
                "start": iso(e.start_s),
                "end": iso(e.end_s),
                "in_hours_minutes": e.in_hours_minutes,
                "out_of_hours_minutes": e.out_of_hours_minutes,
                "billed_in_hours_minutes": e.billed_in_hours_minutes,
                "billed_out_of_hours_minutes": e.billed_out_of_hours_minutes,
                "billable": e.billable,
                "long_entry": e.long_entry,
            }
            for e in statement.entries
        ],
        "drawn": {
            "monthly": statement.drawn_monthly,
            "single": statement.drawn_single,
            "credit": statement.drawn_credit,
        },
        "overage": {
            "in_hours_minutes": statement.overage_in_minutes,
            "out_of_hours_minutes": statement.overage_out_minutes,
            "amount": str(statement.overage_amount),
        },
        "balances": {
            "single": [
                {
                    "purchased": b.purchased.isoformat(),
                    "expires": b.expires.isoformat(),
                    "hours_left": b.hours_left,
                }
                for b in statement.balances
            ],
            "credit_hours": hours_text(statement.credit_minutes_left),
        },
        "lapsed": {
            "monthly_hours": hours_text(statement.lapsed_monthly_minutes),
            "single": [
                {
                    "purchased": b.purchased.isoformat(),
                    "expires": b.expires.isoformat(),
                    "hours": b.hours_left,
                }
                for b in statement.lapsed_singles
            ],
        },
    }


ENTRY_COLUMNS = [
    "case",
    "by",
    "start",
    "end",
    "in_hours_minutes",
    "out_of_hours_minutes",
    "billed_in_hours_minutes",
    "billed_out_of_hours_minutes",
    "billable",
    "long_entry",
]


def as_csv(statement: Statement) -> str:
    """One sheet: a header block, the entries table, then drawn, overage, balances and lapsed.

    Each block starts with its own header row, so a spreadsheet reads it as written and a
    script can split on the first column (``record``).
    """
    data = as_dict(statement)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["record", "org", "month", "currency", "plan"])
    w.writerow(["statement", data["org"], data["month"], data["currency"], statement.plan.name])
    w.writerow(["record", *ENTRY_COLUMNS])
    for entry in data["entries"]:
        w.writerow(["entry", *(_cell(entry[c]) for c in ENTRY_COLUMNS)])
    w.writerow(["record", "monthly_minutes", "single_minutes", "credit_minutes"])
    drawn = data["drawn"]
    w.writerow(["drawn", drawn["monthly"], drawn["single"], drawn["credit"]])
    w.writerow(
        [
            "record",
            "in_hours_minutes",
            "out_of_hours_minutes",
            "in_hours_amount",
            "out_of_hours_amount",
            "amount",
        ]
    )
    over = data["overage"]
    w.writerow(
        [
            "overage",
            over["in_hours_minutes"],
            over["out_of_hours_minutes"],
            statement.overage_in_amount,
            statement.overage_out_amount,
            over["amount"],
        ]
    )
    w.writerow(["record", "kind", "purchased", "expires", "hours"])
    for b in data["balances"]["single"]:
        w.writerow(["balance", "single", b["purchased"], b["expires"], b["hours_left"]])
    w.writerow(["balance", "credit", "", "", data["balances"]["credit_hours"]])
    w.writerow(["lapsed", "monthly", "", "", data["lapsed"]["monthly_hours"]])
    for b in data["lapsed"]["single"]:
        w.writerow(["lapsed", "single", b["purchased"], b["expires"], b["hours"]])
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a case reference must not run as a spreadsheet formula
    return value
