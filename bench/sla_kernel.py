"""Benchmark the business-time kernel against its peers on one random workload.

Workload: N start/duration pairs, starts uniform over 2026-2027 (whole seconds, UTC),
durations uniform from 5 minutes to 3 business days (30 h) in whole minutes, on a
Mon-Fri 08:00-18:00 Europe/Warsaw calendar minus Polish public holidays.

Peers run on a sample of the same pairs (they are 10-1000x slower); their rates are
measured on that sample and the time for all N pairs is extrapolated and labelled so.
Disagreements are counted against the kernel on identical inputs.

    .venv/bin/python bench/sla_kernel.py            # N = 1,000,000
    .venv/bin/python bench/sla_kernel.py --n 200000 --peer-n 5000
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import numpy as np

from supportdesk.sla import Calendar

ZONE = ZoneInfo("Europe/Warsaw")
WEEKLY = {day: [("08:00", "18:00")] for day in ("mon", "tue", "wed", "thu", "fri")}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
OPEN, CLOSE, DAY_LENGTH = clock(8), clock(18), timedelta(hours=10)


def make_calendar() -> Calendar:
    return Calendar("Europe/Warsaw", WEEKLY, country="PL")


def best_of(repeats: int, fn: Callable[[], object]) -> tuple[float, object]:
    """Fastest wall time of ``repeats`` runs (least disturbed by other load) and the result."""
    times, result = [], None
    for _ in range(repeats):
        gc.collect()
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return min(times), result


def rate(count: int, seconds: float) -> str:
    per_second = count / seconds
    if per_second >= 1e6:
        return f"{per_second / 1e6:8.2f} M/s"
    return f"{per_second / 1e3:8.1f} k/s"


def workload(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    first = np.datetime64("2026-01-01T00:00:00", "s").astype(np.int64)
    last = np.datetime64("2028-01-01T00:00:00", "s").astype(np.int64)
    starts = (rng.integers(first, last, n) * 1_000_000).view("datetime64[us]")
    durations = (rng.integers(5, 30 * 60 + 1, n) * 60_000_000).view("timedelta64[us]")
    return starts, durations


def aware(values: np.ndarray) -> list[datetime]:
    """datetime64 (UTC) → aware datetimes in the calendar's zone, as an app would hold them."""
    return [
        (EPOCH + timedelta(microseconds=v)).astimezone(ZONE) for v in values.view(np.int64).tolist()
    ]


def as_us(values: list[datetime]) -> np.ndarray:
    return np.array([(v - EPOCH) // US for v in values], dtype=np.int64)


# --------------------------------------------------------------------------- kernel


def bench_build() -> None:
    # First calendar in the process pays for loading the `holidays` country module once.
    began = time.perf_counter()
    cold = make_calendar()
    cold.between(datetime(2026, 1, 1, tzinfo=UTC), datetime(2036, 1, 1, tzinfo=UTC))
    cold_ms = (time.perf_counter() - began) * 1e3

    def decade(first_year: int) -> Calendar:
        cal = make_calendar()
        cal.between(
            datetime(first_year, 1, 1, tzinfo=UTC), datetime(first_year + 10, 1, 1, tzinfo=UTC)
        )
        cal.between_many(  # the array window over the decade, too
            np.array([f"{first_year}-01-01"], "datetime64[us]"),
            np.array([f"{first_year + 9}-12-31"], "datetime64[us]"),
        )
        return cal

    # Unseen decades: zone transitions and holiday sets are computed, not cached.
    fresh = []
    for first_year in (2040, 2060, 2080):
        began = time.perf_counter()
        decade(first_year)
        fresh.append((time.perf_counter() - began) * 1e3)
    warm = []
    for _ in range(5):
        began = time.perf_counter()
        decade(2026)
        warm.append((time.perf_counter() - began) * 1e3)

    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    kept = decade(2026)
    per_calendar = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del kept
    print("build, 10 years (new Calendar + 10 year tables + array window over the decade):")
    print(f"  steady state (shared caches warm) median {statistics.median(warm):7.1f} ms")
    print(f"  unseen decade (zone + holidays computed) {max(fresh):7.1f} ms  (worst of 3)")
    print(f"  first calendar in process              {cold_ms:7.1f} ms  (+ loading holidays' PL)")
    print(f"memory per calendar-decade               {per_calendar / 1e6:7.3f} MB  (tracemalloc)")


def bench_kernel(
    cal: Calendar, starts: np.ndarray, durations: np.ndarray, repeats: int
) -> np.ndarray:
    n = len(starts)
    cal.add_many(starts[:10], durations[:10])  # build the window outside the timing
    seconds, dues = best_of(repeats, lambda: cal.add_many(starts, durations))
    print(f"add_many       {rate(n, seconds)}   ({seconds * 1e3:.1f} ms, best of {repeats})")
    seconds, spans = best_of(repeats, lambda: cal.between_many(starts, dues))
    print(f"between_many   {rate(n, seconds)}   ({seconds * 1e3:.1f} ms, best of {repeats})")
    assert isinstance(dues, np.ndarray) and isinstance(spans, np.ndarray)
    round_trip = int(np.count_nonzero(spans != durations))
    print(f"  between_many(starts, add_many(starts, d)) != d: {round_trip}")

    begun = aware(starts)
    lengths = [timedelta(microseconds=v) for v in durations.view(np.int64).tolist()]
    add = cal.add

    def scalar() -> list[datetime]:
        return [add(s, d) for s, d in zip(begun, lengths, strict=True)]

    seconds, results = best_of(max(1, repeats // 2), scalar)
    print(f"add (scalar)   {rate(n, seconds)}   ({n:,} aware datetimes in {seconds:.2f} s)")
    assert isinstance(results, list)
    mismatch = int(np.count_nonzero(as_us(results) != dues.view(np.int64)))
    print(f"  scalar add != add_many: {mismatch}")
    return dues


# --------------------------------------------------------------------------- peers


def polish_holidays() -> list[date]:
    import holidays

    return sorted(holidays.country_holidays("PL", years=range(2025, 2031)))


def bench_pandas(cal: Calendar, starts: list[datetime], minutes: list[int]) -> None:
    import pandas as pd
    from pandas.tseries.offsets import CustomBusinessHour

    # CustomBusinessHour only takes whole hours, so this sample rounds durations to hours.
    hours = [max(1, round(m / 60)) for m in minutes]
    hol = polish_holidays()
    offsets = {
        h: CustomBusinessHour(
            n=h, start="08:00", end="18:00", weekmask="Mon Tue Wed Thu Fri", holidays=hol
        )
        for h in set(hours)
    }
    stamps = [pd.Timestamp(s) for s in starts]

    def run() -> list[datetime]:
        return [ts + offsets[h] for ts, h in zip(stamps, hours, strict=True)]

    seconds, dues = best_of(1, run)
    assert isinstance(dues, list)
    ours = [cal.add(s, timedelta(hours=h)) for s, h in zip(starts, hours, strict=True)]
    wrong = [(s, h, p, o) for s, h, p, o in zip(starts, hours, dues, ours, strict=True) if p != o]
    report(
        "pandas CustomBusinessHour add",
        len(starts),
        seconds,
        len(wrong),
        "durations rounded to whole hours",
    )
    if wrong:
        s, h, p, o = wrong[0]
        when = f"{s:%a %Y-%m-%d %H:%M:%S} + {h}h"
        print(f"    e.g. {when}: pandas {p:%a %m-%d %H:%M}, kernel {o:%a %m-%d %H:%M}")


def bench_business_calendar(cal: Calendar, starts: list[datetime], minutes: list[int]) -> None:
    from business_calendar import FR, MO, TH, TU, WE
    from business_calendar import Calendar as DayCalendar

    days = DayCalendar(workdays=[MO, TU, WE, TH, FR], holidays=polish_holidays())
    combine = datetime.combine

    def due(start: datetime, length: timedelta) -> datetime:
        """Whole business days from business_calendar; the hours inside a day by hand."""
        local = start.replace(tzinfo=None)
        day = local.date()
        if not days.isbusday(day) or local.time() >= CLOSE:
            day = days.addbusdays(day, 1)
            local = combine(day, OPEN)
        elif local.time() < OPEN:
            local = combine(day, OPEN)
        left = combine(day, CLOSE) - local
        if length <= left:
            return (local + length).replace(tzinfo=ZONE)
        whole, part = divmod(length - left, DAY_LENGTH)
        if not part:
            whole, part = whole - 1, DAY_LENGTH
        return (combine(days.addbusdays(day, whole + 1), OPEN) + part).replace(tzinfo=ZONE)

    lengths = [timedelta(minutes=m) for m in minutes]
    seconds, dues = best_of(1, lambda: [due(s, d) for s, d in zip(starts, lengths, strict=True)])
    assert isinstance(dues, list)
    wrong = sum(p != cal.add(s, d) for s, d, p in zip(starts, lengths, dues, strict=True))
    report(
        "business_calendar add (+ hour glue)", len(starts), seconds, wrong, "day arithmetic only"
    )


def bench_businesstime(cal: Calendar, starts: list[datetime], minutes: list[int]) -> None:
    from businesstime import BusinessTime

    bt = BusinessTime(
        business_hours=(OPEN, CLOSE), weekends=(5, 6), holidays=set(polish_holidays())
    )
    lengths = [timedelta(minutes=m) for m in minutes]
    ends = [cal.add(s, d) for s, d in zip(starts, lengths, strict=True)]
    naive = [
        (s.replace(tzinfo=None), e.astimezone(ZONE).replace(tzinfo=None))
        for s, e in zip(starts, ends, strict=True)
    ]

    def run() -> list[timedelta]:
        out = []
        for a, b in naive:
            delta = bt.businesstimedelta(a, b)  # .days counts business days, not 24 h
            out.append(delta.days * DAY_LENGTH + timedelta(seconds=delta.seconds))
        return out

    seconds, spans = best_of(1, run)
    assert isinstance(spans, list)
    wrong = sum(p != d for p, d in zip(spans, lengths, strict=True))
    report(
        "python-businesstime between",
        len(starts),
        seconds,
        wrong,
        "has no add; between(start, due)",
    )


FULL_N = 1_000_000  # set from --n; used to extrapolate peer timings


def report(name: str, count: int, seconds: float, wrong: int, note: str) -> None:
    projected = FULL_N * seconds / count
    print(f"{name:38s} {rate(count, seconds)}   disagreements {wrong:5d} / {count:,}")
    print(f"    {note}; {FULL_N:,} pairs would take ~{projected:,.0f} s (extrapolated)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--n", type=int, default=1_000_000, help="pairs for the kernel (default 1,000,000)"
    )
    parser.add_argument(
        "--peer-n", type=int, default=10_000, help="pairs for each peer (default 10,000)"
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="array runs, best one kept (default 5)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    global FULL_N
    FULL_N = args.n

    print(
        f"supportdesk.sla kernel benchmark: n={args.n:,}, peers on the first {args.peer_n:,} pairs"
    )
    print("calendar: Mon-Fri 08:00-18:00 Europe/Warsaw minus Polish public holidays\n")
    bench_build()
    print()
    starts, durations = workload(args.n, args.seed)
    cal = make_calendar()
    bench_kernel(cal, starts, durations, args.repeats)

    m = min(args.peer_n, args.n)
    print(f"\npeers: rates measured on {m:,} pairs; disagreements vs the kernel on the same inputs")
    sample_starts = aware(starts[:m])
    sample_minutes = (durations[:m].view(np.int64) // 60_000_000).tolist()
    for peer in (bench_pandas, bench_business_calendar, bench_businesstime):
        began = time.perf_counter()
        peer(cal, sample_starts, sample_minutes)
        print(f"    ({time.perf_counter() - began:.1f} s incl. checking)")


if __name__ == "__main__":
    main()
