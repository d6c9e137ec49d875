"""Domain errors: each carries a message written for the person who caused it."""


class DomainError(Exception):
    """A business rule refused the request; the message says why."""


class PermissionDenied(DomainError):
    """The acting user may not do this."""


class NotFound(DomainError):
    """The record asked for does not exist."""


class ValidationFailed(DomainError):
    """The input breaks a rule; the message names the field."""
