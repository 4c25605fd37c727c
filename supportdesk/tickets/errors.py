"""Stable, machine-readable error codes for everything the case services refuse."""

from enum import StrEnum


class CaseErrorCode(StrEnum):
    INVALID = "invalid"
    CLOSED = "closed"
    NOT_AN_AGENT = "not_an_agent"
    UNKNOWN_ADDRESS = "unknown_address"
    NOT_ENTITLED = "not_entitled"


class CaseError(ValueError):
    """``entitlement``: with ``NOT_ENTITLED``, the key of the plan's matrix the role lacks."""

    def __init__(
        self,
        code: CaseErrorCode,
        message: str,
        field: str | None = None,
        entitlement: str | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.entitlement = entitlement
