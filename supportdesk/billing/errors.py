"""Stable, machine-readable error codes for everything the billing services refuse."""

from enum import StrEnum


class BillingErrorCode(StrEnum):
    INVALID = "invalid"
    NOT_AN_AGENT = "not_an_agent"
    END_BEFORE_START = "end_before_start"
    OVERLAP = "overlap"
    TIMER_RUNNING = "timer_running"
    NO_TIMER = "no_timer"
    NO_PLAN = "no_plan"
    BAD_BLOCK = "bad_block"
    BAD_MONTH = "bad_month"
    MONTH_CLOSED = "month_closed"
    MONTH_NOT_OVER = "month_not_over"
    BEFORE_RECEIPT = "before_receipt"
    IN_FUTURE = "in_future"
    LONG_ENTRY = "long_entry"


class BillingError(ValueError):
    """A refusal with a code for machines, a translated message for people, and the field."""

    def __init__(self, code: BillingErrorCode, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
