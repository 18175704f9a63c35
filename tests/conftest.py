import functools

import pytest
from django.utils import translation

from gridgov.cases.selectors import forget_change_marks
from gridgov.evaluation.selectors import forget_all as forget_evaluation
from gridgov.grids.selectors import clear_grid_index_cache
from gridgov.open311.selectors import forget_catalogue, forget_key_table
from gridgov.open311.views import forget_rendered
from gridgov.workcalendar import forget_calendar

from .factories import build_small_network


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    """The point → grid index, the working calendar and Open311's copies of the catalogue and
    of the API keys, its rendered answers and the cases' change marks are cached per process; tests change them all."""
    clear_grid_index_cache()
    forget_calendar()
    forget_catalogue()
    forget_key_table()
    forget_evaluation()
    forget_rendered()
    forget_change_marks()
    yield
    clear_grid_index_cache()
    forget_calendar()
    forget_catalogue()
    forget_key_table()
    forget_evaluation()
    forget_rendered()
    forget_change_marks()


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """The manifest storage needs collectstatic; tests render templates straight from the source."""
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Messages raised by services and commands follow the active language, which defaults to
    Chinese; tests read them in English. Requests still choose their own language (middleware)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _no_intake_thread(settings):
    """A worker thread has its own database connection, which cannot see a test's uncommitted
    rows; tests take queued Open311 submissions in themselves (see test_open311_post.py)."""
    settings.GRIDGOV_OPEN311_WORKER = False


@pytest.fixture(autouse=True)
def _private_pending_photos(settings, tmp_path):
    """Uploads waiting for the photo task go to a folder of the test's own."""
    settings.GRIDGOV_PHOTO_PENDING_DIR = tmp_path / "pending-photos"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs a third of a second per user on these machines; tests need no strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def network(db):
    return build_small_network()


@pytest.fixture
def staff_user(db, django_user_model):
    return django_user_model.objects.create_user("dispatcher", password="pw-for-tests-only", role="dispatcher")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture(autouse=True)
def _tasks_run_in_the_caller(settings):
    """Tasks run at once in the test that enqueues them (no worker); tests of the queue itself
    (test_background.py) switch to the database backend."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _private_job_folder(settings, tmp_path_factory):
    """Queued imports and exports (gridgov.ops.filejobs) write under a folder of the test run,
    never the data directory."""
    settings.GRIDGOV_EXPORT_DIR = tmp_path_factory.getbasetemp() / "exports"


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin client, past the second factor the admin demands of a superuser."""
    from .auth_helpers import login_verified

    return login_verified(client, admin_user)


def _flushes_the_database(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction"))
    fixtures = getattr(item, "fixturenames", ())
    return transactional or "transactional_db" in fixtures or "live_server" in fixtures


@functools.cache
def _migration_seeds() -> tuple:
    """Every migration operation that seeds reference rows (a ``RunPython`` whose function is
    named ``seed``: the catalogue, the calendar, the evaluation schemes, the industries), in
    migration order; found once per process from the migration files alone."""
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    plan = dict.fromkeys(key for leaf in graph.leaf_nodes() for key in graph.forwards_plan(leaf))
    return tuple(
        operation.code
        for key in plan
        for operation in graph.nodes[key].operations
        if isinstance(operation, RunPython) and operation.code.__name__ == "seed"
    )


def _reseed_migrated_rows() -> None:
    """Run the migrations' seeds again with the real models; each fills only what is missing."""
    from django.apps import apps

    for seed in _migration_seeds():
        seed(apps, None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test ends by emptying every table, the rows the migrations seeded
    included; put those back for the tests after it. (pytest-django runs transactional tests
    last for this reason, but with one worker per core each worker takes whole files in turn.)"""
    yield
    if nextitem is not None and _flushes_the_database(item):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            _reseed_migrated_rows()
