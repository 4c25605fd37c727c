"""Months and pack validity as instants, and ISO text for them: the calendar side of a statement.

A month is read in the plan calendar's time zone, because that is the zone the contract's
business hours and the customer's invoices live in: March is ``[first instant of 1 March,
first instant of 1 April)`` there. A single pack is valid from the first instant of its
purchase date to the first instant of the same date a year later (29 February → 1 March).
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime, tzinfo

from django.utils.translation import gettext as _

from supportdesk.billing.errors import BillingError, BillingErrorCode
from supportdesk.sla import months


def parse_month(text: str) -> date:
    """``"2026-03"`` → ``date(2026, 3, 1)``; anything else, or a month the calendars do not
    cover, is a ``bad_month`` error."""
    try:
        return months.parse_month(text)
    except ValueError:
        raise BillingError(
            BillingErrorCode.BAD_MONTH,
            _("%(v)s is not a month from %(first)s to %(last)s, like 2026-03")
            % {
                "v": text,
                "first": f"{months.FIRST_MONTH:%Y-%m}",
                "last": f"{months.LAST_MONTH:%Y-%m}",
            },
            "month",
        ) from None


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def month_of(day: date) -> date:
    return day.replace(day=1)


def day_start(day: date, zone: tzinfo) -> datetime:
    """The first instant of a local date (``fold=0``: a skipped midnight maps to the jump)."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def expiry(purchased: date) -> date:
    """The date a single pack stops being valid: one year after purchase."""
    try:
        return purchased.replace(year=purchased.year + 1)
    except ValueError:  # 29 February: a year later there is none, so it runs to 28 February
        return date(purchased.year + 1, 3, 1)


def epoch(instant: datetime) -> int:
    """Aware datetime → whole seconds since 1970 UTC (sub-second parts are truncated)."""
    return int(instant.timestamp() // 1)


def from_epoch(seconds: int, zone: tzinfo = UTC) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).astimezone(zone)


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class IsoClock:
    """``datetime.fromtimestamp(t, zone).isoformat()`` for many ``t`` in ``[lo, hi]``, fast.

    A statement writes two instants per entry; building a datetime for each costs more than the
    rest of the statement. The zone's offset changes are found once (hourly samples, then
    bisection to the second; tz data never changes twice within an hour) and each instant
    becomes text with integer arithmetic.
    """

    def __init__(self, zone: tzinfo, lo: int, hi: int) -> None:
        self._starts = [lo]
        self._offsets = [self._offset(zone, lo)]
        t = lo
        while t < hi:
            n = min(t + 3600, hi)
            offset = self._offset(zone, n)
            if offset != self._offsets[-1]:
                a, b = t, n
                while b - a > 1:
                    mid = (a + b) // 2
                    if self._offset(zone, mid) == self._offsets[-1]:
                        a = mid
                    else:
                        b = mid
                self._starts.append(b)
                self._offsets.append(self._offset(zone, b))
                t = b
                continue
            t = n
        self._suffix = {o: self._text(o) for o in self._offsets}
        self._days: dict[int, str] = {}

    @staticmethod
    def _offset(zone: tzinfo, t: int) -> int:
        offset = datetime.fromtimestamp(t, zone).utcoffset()
        return int(offset.total_seconds()) if offset is not None else 0

    @staticmethod
    def _text(offset: int) -> str:
        sign = "-" if offset < 0 else "+"
        h, rest = divmod(abs(offset), 3600)
        m, s = divmod(rest, 60)
        return f"{sign}{h:02d}:{m:02d}" + (f":{s:02d}" if s else "")

    def __call__(self, t: int) -> str:
        offset = self._offsets[bisect_right(self._starts, t) - 1]
        days, rest = divmod(t + offset, 86400)
        prefix = self._days.get(days)
        if prefix is None:
            prefix = self._days[days] = date.fromordinal(_EPOCH_ORDINAL + days).isoformat() + "T"
        h, rest = divmod(rest, 3600)
        m, s = divmod(rest, 60)
        return f"{prefix}{h:02d}:{m:02d}:{s:02d}{self._suffix[offset]}"
