"""Tasks for test_background.py (a queued task is found again by its import path)."""

from django_tasks import task

from gridgov.background import retried


@task()
@retried(attempts=3, first_delay=10)
def always_fails(label: str) -> None:
    raise RuntimeError(f"broken {label}")


@task()
def works(value: int) -> int:
    return value * 2
