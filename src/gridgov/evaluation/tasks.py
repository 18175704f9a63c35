"""Background tasks of the evaluation app, on the queue of ``gridgov.background``.

- ``count_finished_months``: counts into the database every finished month of the last 25 (the
  dashboard's twelve and the same months a year earlier) that is missing or changed since it was
  counted (``services.count_finished_months``), every ``GRIDGOV_MONTH_COUNT_SECONDS`` (default an
  hour): a month is kept soon after it closes, and a late step's recount happens here rather than
  in a leader's request. The same for every other subject kept in the same tables (the services
  statistics' applications: ``applications:2026-03``).

The case ledger's queued export runs as ``gridgov.ops.tasks.run_file_job`` (``ledger_exports.ledger_job``).
"""

from django.conf import settings
from django_tasks import task

from gridgov.background import periodic

MONTH_COUNT_SECONDS = getattr(settings, "GRIDGOV_MONTH_COUNT_SECONDS", 3600)


@task()
@periodic(MONTH_COUNT_SECONDS)
def count_finished_months() -> list[str]:
    from .services import CASES, SUBJECTS
    from .services import count_finished_months as count

    counted = count()
    for subject in sorted(set(SUBJECTS) - {CASES}):
        counted += [f"{subject}:{key}" for key in count(subject=subject)]
    return counted
