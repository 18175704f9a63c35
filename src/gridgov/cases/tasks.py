"""Background tasks of the cases app (django-tasks, the backport of Django's tasks API).

``send_reminders`` is the same pass as ``gridgov remind``. With the default immediate backend,
``send_reminders.enqueue()`` runs it at once in the caller; with a queue backend configured in
``TASKS`` (for example django-tasks-db's ``DatabaseBackend`` and its ``db_worker``), a periodic
job enqueues it and a worker runs it.
"""

from django_tasks import task

from .reminders import run_reminders


@task()
def send_reminders() -> dict[str, int]:
    return run_reminders().as_dict()
