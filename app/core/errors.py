"""Business operations: the only place where states change and audit rows are written."""



class ServiceError(Exception):
    """An operation was refused; the message is shown to the user."""


class TransitionError(ServiceError):
    """A state change not allowed from the current state."""


class PermissionDenied(ServiceError):
    """The actor may not do this."""


def require(condition: bool, message: str) -> None:
    """Refuse the operation with a PermissionDenied unless condition holds."""
    if not condition:
        raise PermissionDenied(message)
