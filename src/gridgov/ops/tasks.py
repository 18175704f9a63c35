"""Background tasks of the whole platform's file jobs (``gridgov.ops.filejobs``), on the queue of
``gridgov.background``:

- ``run_file_job``: one large import or export for the user who asked (the case ledger, the
  economy's monthly table, the services' catalogue and yearly statistics), retried with back-off;
- ``sweep_file_jobs``: removes the files of jobs older than a day, every hour.
"""

from django_tasks import task

from gridgov.background import periodic, retried

SWEEP_SECONDS = 3600


@task()
@retried(attempts=3, first_delay=30.0)
def run_file_job(job: str, user_id: int, token: str, params: dict, language: str = "zh-hans", last_attempt: bool = False) -> str:
    """Run the declared job function at ``job`` as user ``user_id``; its file or result goes to
    that user's private folder under ``token`` (``last_attempt``, from ``retried``: its failure
    sentence says no retry follows)."""
    from . import filejobs

    return filejobs.run(job, user_id, token, params, language, last_attempt)


@task()
@periodic(SWEEP_SECONDS)
def sweep_file_jobs() -> list[str]:
    from .filejobs import sweep

    return sweep()
