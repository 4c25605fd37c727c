"""Stable, machine-readable error codes for everything the case services refuse."""

from enum import StrEnum


class CaseErrorCode(StrEnum):
    INVALID = "invalid"
    CLOSED = "closed"
    NOT_AN_AGENT = "not_an_agent"
    UNKNOWN_ADDRESS = "unknown_address"


class CaseError(ValueError):
    def __init__(self, code: CaseErrorCode, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
