"""Stable, machine-readable error codes for everything the remote-help services refuse."""

from enum import StrEnum


class RemoteErrorCode(StrEnum):
    NOT_AN_AGENT = "not_an_agent"
    CLOSED = "closed"
    NO_CONTACT = "no_contact"
    EXPIRED = "expired"
    USED = "used"
    NOT_GIVEN = "not_given"
    WRONG_PERSON = "wrong_person"
    NO_PASSWORD_CONFIRMATION = "no_password_confirmation"
    INVALID = "invalid"
    ENDED = "ended"


class RemoteError(ValueError):
    """A refusal with a code for machines, a translated message for people, and the field."""

    def __init__(self, code: RemoteErrorCode, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
