"""The one error taxonomy: each refusal carries its HTTP status, machine code and French message.

Services raise these; the API turns any of them into ``{"code", "message", "errors"?}``
with the error's status, and pages into the French error page or the form's errors.
Subclass the kind that says what went wrong rather than mapping statuses elsewhere.
"""

from __future__ import annotations


class ServiceError(ValueError):
    """A refusal with a message meant for a person, in French (HTTP 400 unless a subclass says)."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None,
                 errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        # One French message per field, for forms and the API's "errors" list.
        self.errors: dict[str, str] = dict(errors or {})

    def as_dict(self) -> dict[str, object]:
        """Return the API's body for this error."""
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = [{"field": name or "data", "message": text}
                              for name, text in self.errors.items()]
        return body


class Forbidden(ServiceError):
    """The actor may see the object but not do this to it (HTTP 403)."""

    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    """Nothing the actor may see goes by that name (HTTP 404): foreign objects included."""

    status = 404
    code = "not_found"


class Conflict(ServiceError):
    """A refusal because of the object's current state (HTTP 409)."""

    status = 409
    code = "conflict"


class TooLarge(ServiceError):
    """A body or file over its limit (HTTP 413)."""

    status = 413
    code = "too_large"


class TooManyRequests(ServiceError):
    """Too many attempts in too little time (HTTP 429)."""

    status = 429
    code = "too_many_requests"


class Unavailable(ServiceError):
    """An outside service needed for this is not answering (HTTP 503)."""

    status = 503
    code = "unavailable"

