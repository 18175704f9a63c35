"""Background tasks of the evaluation app, on the queue of ``gridgov.background``.

- ``count_finished_months``: counts into the database every finished month of the last 25 (the
  dashboard's twelve and the same months a year earlier) that is missing or changed since it was
  counted (``services.count_finished_months``), every ``GRIDGOV_MONTH_COUNT_SECONDS`` (default an
  hour): a month is kept soon after it closes, and a late step's recount happens here rather than
  in a leader's request;
- ``export_ledger``: one case ledger as Excel for the user who asked (the cases page's button),
  written to that user's private folder (``ledger_exports``), retried with back-off;
- ``sweep_exports``: removes ledger files older than a day, every hour.
"""

from django.conf import settings
from django_tasks import task

from gridgov.background import periodic, retried

MONTH_COUNT_SECONDS = getattr(settings, "GRIDGOV_MONTH_COUNT_SECONDS", 3600)
EXPORT_SWEEP_SECONDS = 3600


@task()
@periodic(MONTH_COUNT_SECONDS)
def count_finished_months() -> list[str]:
    from .services import count_finished_months as count

    return count()


@task()
@retried(attempts=3, first_delay=30.0)
def export_ledger(user_id: int, query: str, token: str, language: str = "zh-hans") -> str:
    """Build the ledger ``query`` (the link's query string) asks for, as the user sees it."""
    from django.contrib.auth import get_user_model
    from django.http import QueryDict
    from django.utils import translation

    from . import ledger_exports

    try:
        user = get_user_model().objects.get(pk=user_id, is_active=True)
        with translation.override(language):
            body = ledger_exports.ledger_bytes(user, QueryDict(query))
        ledger_exports.write_export(user_id, token, body)
    except Exception:
        ledger_exports.mark_failed(user_id, token)  # the status page says so; a retry clears it
        raise
    return token


@task()
@periodic(EXPORT_SWEEP_SECONDS)
def sweep_exports() -> list[str]:
    from .ledger_exports import sweep_expired_exports

    return sweep_expired_exports()
