"""Domain errors raised by core services; the web layer maps each to one HTTP status."""

from __future__ import annotations


class GongdanError(Exception):
    """Base of every error a service raises on purpose; `code` is the API error code."""

    code = "bad_request"
    status = 400

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationError(GongdanError):
    """Input that is well-formed but wrong: `fields` maps each field to its reasons."""

    code = "validation_error"
    status = 422


class NotFound(GongdanError):
    """The object does not exist in the caller's tenant."""

    code = "not_found"
    status = 404


class Forbidden(GongdanError):
    """The caller's role does not allow this."""

    code = "forbidden"
    status = 403


class Conflict(GongdanError):
    """The change conflicts with the current state (e.g. a duplicate name)."""

    code = "conflict"
    status = 409


class InvalidTransition(Conflict):
    """A status change the ticket state machine does not allow."""

    code = "invalid_transition"


class PluginFailed(GongdanError):
    """A plugin's code raised something it did not mean to: recorded as the plugin's failure
    (`PluginHost.record_failure`) and answered as a 502, the rest of gongdan carrying on."""

    code = "plugin_failed"
    status = 502


class DeliveryError(Exception):
    """A channel could not send a message: `reason` for people; `permanent` stops the retries.

    Raised by a `Channel.deliver` (see `gongdan.delivery`); not an HTTP error.
    """

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
