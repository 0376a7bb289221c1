"""The one family of refusals operations raise; the app turns each into a flashed message and its status.

| class | status | meaning |
|---|---|---|
| PermissionDenied | 403 | this actor may not do this |
| TransitionError | 409 | the thing's current state does not allow it (Conflict: try again after reloading) |
| ValidationError | 400 | the input is not acceptable; the message says what to correct |
| ServiceError (bare) | 400 | an older refusal not yet narrowed: treated as bad input |

400 for bad input is the status the app already answers a form that was not accepted with.
"""


class ServiceError(Exception):
    """An operation was refused; the message is shown to the user."""

    status = 400


class TransitionError(ServiceError):
    """A state change not allowed from the current state."""

    status = 409


class PermissionDenied(ServiceError):
    """The actor may not do this."""

    status = 403


class ValidationError(ServiceError):
    """The input is not acceptable (a missing 承诺书, a value out of range); field names the form field, if one."""

    status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def require(condition: bool, message: str) -> None:
    """Refuse the operation with a PermissionDenied unless condition holds (for who may act, not for input)."""
    if not condition:
        raise PermissionDenied(message)
