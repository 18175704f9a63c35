"""The services' domain errors: a step that cannot be taken, with a whole sentence for the user."""


class ServiceError(ValueError):
    """A step that cannot be taken; the message is a whole sentence for the user."""


class NotAllowed(ServiceError):
    pass
