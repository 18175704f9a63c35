"""The same tasks on RQ (Redis), the distributed backend a larger deployment chooses with settings
alone (README, "Background tasks"): the reminders task is enqueued through django-tasks-rq and
run by an RQ SimpleWorker in burst mode inside the test. Skipped where no Redis answers on
127.0.0.1:6379; the test uses Redis database 15, which it empties before and after."""

import pytest

from gridgov.cases.tasks import send_reminders

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def rq_queue(settings):
    redis = pytest.importorskip("redis", reason="the RQ backend's packages (django-tasks-rq) are not installed")
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379: the RQ backend is a deployment option, tested where Redis runs")
    connection.flushdb()
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    import django_rq
    from django_tasks_rq import Job

    yield django_rq.get_queue("default", job_class=Job)
    connection.flushdb()


def test_the_reminders_task_runs_on_an_rq_worker(network, rq_queue):
    from rq import SimpleWorker
    from rq.registry import ScheduledJobRegistry

    queued = send_reminders.enqueue()
    assert queued.status == "READY" and rq_queue.count == 1
    SimpleWorker([rq_queue], connection=rq_queue.connection, job_class=rq_queue.job_class).work(burst=True)

    result = send_reminders.get_result(queued.id)
    assert result.status == "SUCCESSFUL", result.errors
    assert result.return_value == {"due_soon": 0, "overdue": 0, "supervised": 0, "sent": 0, "failed": 0}
    # A periodic task queues its next run on the same backend, due in GRIDGOV_REMINDER_SECONDS.
    assert rq_queue.count == 0 and ScheduledJobRegistry(queue=rq_queue).count == 1
