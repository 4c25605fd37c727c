"""Months as reports and statements name them ("2026-03"), within the years the calendars cover.

A month outside them has no business time to count: the dashboard, the statements and the
month close all read a month through ``parse_month``, so none of them meets a year 9999 (whose
next month does not exist) or a year 1 (whose previous one does not).
"""

import re
from datetime import date

from ._tables import FIRST_YEAR, LAST_YEAR

#: The first and last month a report may name: the calendars' public range (1900-2200) less a
#: year at each end, so the months around it, seen from any time zone, still resolve.
FIRST_MONTH = date(FIRST_YEAR + 2, 1, 1)
LAST_MONTH = date(LAST_YEAR - 2, 12, 1)

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def parse_month(text: object) -> date:
    """``"2026-03"`` → ``date(2026, 3, 1)``; ``ValueError`` for anything else, including a
    month before ``FIRST_MONTH`` or after ``LAST_MONTH``."""
    match = _MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"{text!r} is not a month like 2026-03")
    month = date(int(match[1]), int(match[2]), 1)
    if not FIRST_MONTH <= month <= LAST_MONTH:
        raise ValueError(f"{text!r} is outside {FIRST_MONTH:%Y-%m} to {LAST_MONTH:%Y-%m}")
    return month
