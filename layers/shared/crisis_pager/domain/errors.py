"""Errors the domain raises. Each names what is wrong in words an admin or integrator reads."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule violation."""


class InvalidItem(DomainError):
    """A hand-edited item (program, rota, clinician) is malformed.

    The message names the table, the item key, the field and the reason, so that an
    admin at the DynamoDB console can find and fix it.
    """

    def __init__(self, table: str, key: str, field: str, reason: str) -> None:
        self.table = table
        self.key = key
        self.field = field
        self.reason = reason
        super().__init__(f"{table} item {key}: field '{field}' {reason}")


class InvalidPolicy(DomainError):
    """A ladder policy string cannot be read."""


class SmsError(DomainError):
    """The SMS and voice provider refused or failed to take a message or a call.

    ``code`` is the provider's error code (Twilio's, e.g. 21211 invalid number, 21610
    unsubscribed recipient), None for network failures. ``permanent``: retrying cannot
    help (the number, not the moment, is the problem)."""

    def __init__(self, message: str, code: int | None = None, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent


class SendAborted(DomainError):
    """A send was not attempted: the paging lease could not be taken (the incident was
    accepted, resolved or moved on meanwhile)."""


class CallbackError(DomainError):
    """The hotline's callback endpoint did not accept the callback.

    ``code`` names the failure for the timeline (``unreachable``, ``http_error``,
    ``callback_refused``, ``address_not_allowed``, ...). ``permanent``: retrying cannot
    help (the URL or the address it resolves to is refused), so nothing is retried. The
    message never quotes the URL: it may carry the hotline's token."""

    def __init__(self, message: str, code: str = "callback_failed", *,
                 permanent: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent
