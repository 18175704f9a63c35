"""Background tasks of the cases app, on the queue of ``gridgov.background`` (django-tasks with
the django-tasks-db backend; the worker runs beside ``gridgov serve``).

- ``send_reminders``: the due-soon and overdue pass of ``gridgov remind``, every
  ``GRIDGOV_REMINDER_SECONDS`` (default 300);
- ``sweep_photos``: the orphan-file sweep of ``gridgov sweep-photos``, every
  ``GRIDGOV_PHOTO_SWEEP_SECONDS`` (default a day);
- ``process_photo``: one photo of a report or a step, decoded, cleaned of its metadata,
  re-encoded with its thumbnail and made ready (``photos.process_pending_photo``), queued in the
  step's transaction (``photos.store_photos``), retried with back-off;
- ``notify_residents``: one public step told to the reporter and the "me too" subscribers,
  queued by ``services.take_action`` once the step's transaction has committed (sending an SMS
  or an e-mail inside the workflow's transaction would hold the case's lock on the network).

Both commands still run one pass by hand. The request keeps only the cheap photo checks (size,
format, the header's pixel count), so the reporter is still told at once when a photo is refused.
"""

from django.conf import settings
from django_tasks import task

from gridgov.background import periodic, retried

from .reminders import run_reminders

REMINDER_SECONDS = getattr(settings, "GRIDGOV_REMINDER_SECONDS", 300)
PHOTO_SWEEP_SECONDS = getattr(settings, "GRIDGOV_PHOTO_SWEEP_SECONDS", 24 * 3600)


@task()
@periodic(REMINDER_SECONDS)
def send_reminders() -> dict[str, int]:
    return run_reminders().as_dict()


@task()
@periodic(PHOTO_SWEEP_SECONDS)
def sweep_photos() -> list[str]:
    from .photos import requeue_stalled_photos, sweep_orphan_files

    requeue_stalled_photos()
    return sweep_orphan_files()


@task()
@retried(attempts=5, first_delay=30.0)
def process_photo(photo_id: int, language: str = "", last_attempt: bool = False) -> str:
    """Make one pending photo ready (or failed, with the reason told in ``language``, by default
    the site's, and whether it is tried again)."""
    from django.utils import translation

    from .photos import process_pending_photo

    with translation.override(language or settings.LANGUAGE_CODE):
        return process_pending_photo(photo_id, retried=not last_attempt)


@task()
def notify_residents(step_id: int) -> dict[str, int]:
    """Tell the reporter and the "me too" subscribers of one public step (queued after commit)."""
    from .notifications import notify_residents_of_step

    delivery = notify_residents_of_step(step_id)
    return {"sent": delivery.sent, "failed": delivery.failed}
