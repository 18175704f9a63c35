"""The errors a workflow step raises (re-exported by ``workflow``): kept apart so the step
handlers (``steps``) and the table that names them (``workflow``) both import them."""


class WorkflowError(Exception):
    """A step that cannot be taken; the message says why in words a user understands."""


class IllegalTransition(WorkflowError):
    pass


class NotAllowed(WorkflowError):
    pass


class CaseChanged(WorkflowError):
    """Someone else changed the case since the actor loaded it."""
