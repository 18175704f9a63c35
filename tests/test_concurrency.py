"""Two people acting on one case at the same moment, on real, separate database connections.

Each thread opens its own connection (Django keeps one per thread) and closes it when done. The
threads meet at a barrier after both have loaded the case, so both act on the same version: on
PostgreSQL the row lock of ``select_for_update`` makes the second wait for the first; SQLite
ignores that lock, and there the write lock taken at BEGIN IMMEDIATE and the version check must
do the same job.
"""

import dataclasses
import fcntl
import sqlite3
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import translation

from gridgov.accounts.models import Role
from gridgov.cases.models import Case, State
from gridgov.cases.services import take_action
from gridgov.cases.workflow import CaseChanged, IllegalTransition

from . import case_factories
from .case_factories import make_category, make_user, report
from .factories import WEST_GRID, build_small_network

# pytest-django runs transactional tests after all others, so the flush that ends each of these
# (which also empties the rows the data migrations seed) cannot starve a later ordinary test.
# serialized_rollback is not used: after another module's flush re-created the content types,
# restoring its snapshot collides with them.
pytestmark = pytest.mark.django_db(transaction=True)
SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_9 = datetime(2025, 3, 12, 9, 0, tzinfo=SHANGHAI)
THREAD_TIMEOUT = 60


@pytest.fixture(autouse=True)
def _sqlite_in_a_file(transactional_db, tmp_path):
    """Run on SQLite as deployed: a file in WAL mode, not pytest's in-memory database.

    The in-memory test database is a shared-cache one, whose table locks fail at once with
    "database table is locked" instead of waiting out the busy timeout, so two writers there
    say nothing about production. The test database is copied into a file for these tests and
    every connection (each thread's too) is pointed at that file; the memory one is left as it was.
    """
    memory = connections[DEFAULT_DB_ALIAS]
    if memory.vendor != "sqlite" or not memory.is_in_memory_db():
        yield
        return
    memory.ensure_connection()
    copy = sqlite3.connect(tmp_path / "gridgov.sqlite3")
    memory.connection.backup(copy)
    copy.close()
    connections.settings[DEFAULT_DB_ALIAS] = {**memory.settings_dict, "NAME": str(tmp_path / "gridgov.sqlite3")}
    in_file = connections.create_connection(DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = in_file
    try:
        yield
    finally:
        in_file.close()
        connections.settings[DEFAULT_DB_ALIAS] = memory.settings_dict
        connections[DEFAULT_DB_ALIAS] = memory


@pytest.fixture
def filed_case():
    build_small_network(with_people=False)
    category = make_category()
    if connection.vendor == "sqlite":  # the deployed configuration, not the test runner's
        assert connection.cursor().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    intake = make_user(Role.INTAKE_CLERK)
    case = report(category, at=WEDNESDAY_9)
    for action in ("accept", "file"):
        case = take_action(case.pk, action, intake, at=WEDNESDAY_9)
    return case


def _run_together(*calls):
    """Run each call in its own thread, all released at once; return what each returned or raised."""
    barrier = threading.Barrier(len(calls), timeout=THREAD_TIMEOUT)
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREAD_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread is still waiting (deadlock?)"
    return outcomes


def _two_dispatchers():
    return make_user(Role.DISPATCHER, username="dispatcher-1"), make_user(Role.DISPATCHER, username="dispatcher-2")


def _dispatch(case_id, dispatcher, seen_version, **params):
    return lambda: take_action(case_id, "dispatch", dispatcher, expected_version=seen_version, at=WEDNESDAY_9, **params)


def _assert_one_dispatch(case_before, outcomes, loser_error):
    winners = [outcome for outcome in outcomes if isinstance(outcome, Case)]
    losers = [outcome for outcome in outcomes if not isinstance(outcome, Case)]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1 and isinstance(losers[0], loser_error), outcomes
    case = Case.objects.get(pk=case_before.pk)
    assert case.state == State.DISPATCHED
    assert case.version == case_before.version + 1
    assert case.steps.filter(action="dispatch").count() == 1
    assert case.steps.count() == 4  # report, accept, file, dispatch
    assert winners[0].version == case.version
    return case, case.steps.get(action="dispatch")


def test_two_dispatches_with_the_seen_version_one_wins_the_other_is_told(filed_case):
    first, second = _two_dispatchers()
    seen = Case.objects.get(pk=filed_case.pk).version  # both opened the case at this version
    outcomes = _run_together(
        _dispatch(filed_case.pk, first, seen, region=WEST_GRID),
        _dispatch(filed_case.pk, second, seen, department=case_factories.make_department().code),
    )
    case, step = _assert_one_dispatch(filed_case, outcomes, CaseChanged)
    if step.actor_id == first.pk:
        assert (case.assigned_region.code, case.assigned_department) == (WEST_GRID, None)
    else:
        assert (case.assigned_region, case.assigned_department.code) == (None, "cgj")


def test_two_dispatches_without_a_version_the_second_finds_the_case_dispatched(filed_case):
    first, second = _two_dispatchers()
    outcomes = _run_together(
        _dispatch(filed_case.pk, first, None, region=WEST_GRID),
        _dispatch(filed_case.pk, second, None, region=WEST_GRID),
    )
    _assert_one_dispatch(filed_case, outcomes, IllegalTransition)


def test_the_same_step_sent_twice_at_once_with_its_key_is_one_step_and_two_answers_of_done(filed_case):
    # A phone's offline queue and a second tab send one queued step together: the second waits
    # for the first's lock, then finds the step by its key and answers with the same case.
    dispatcher, _other = _two_dispatchers()
    seen, key = filed_case.version, "0f8e2a4c-1b7d-4c1e-9f00-0123456789ab"
    send = lambda: take_action(  # noqa: E731
        filed_case.pk, "dispatch", dispatcher, expected_version=seen, at=WEDNESDAY_9, step_key=key, region=WEST_GRID
    )
    outcomes = _run_together(send, send)
    assert all(isinstance(outcome, Case) for outcome in outcomes), outcomes
    case = Case.objects.get(pk=filed_case.pk)
    assert (case.state, case.version) == (State.DISPATCHED, seen + 1)
    assert case.steps.filter(action="dispatch").count() == 1


def test_the_second_step_reads_the_case_only_after_the_first_has_committed(filed_case, monkeypatch):
    """The protection does not depend on the barrier's luck: while the first dispatch is held
    inside its transaction (after reading the case, before writing it), the second cannot read
    the old version; once the first commits, the second is refused."""
    from gridgov.cases import workflow

    first, second = _two_dispatchers()
    inside_first, release_first = threading.Event(), threading.Event()
    real_dispatch = workflow.TRANSITIONS["dispatch"].handler

    def held_dispatch(ctx):
        if ctx.actor.pk == first.pk:
            inside_first.set()
            assert release_first.wait(THREAD_TIMEOUT)
        real_dispatch(ctx)

    monkeypatch.setitem(
        workflow.TRANSITIONS, "dispatch", dataclasses.replace(workflow.TRANSITIONS["dispatch"], handler=held_dispatch)
    )
    seen = filed_case.version
    outcomes: dict = {}

    def run(name, call):
        try:
            outcomes[name] = call()
        except BaseException as error:  # noqa: BLE001
            outcomes[name] = error
        finally:
            connection.close()

    first_thread = threading.Thread(target=run, args=("first", _dispatch(filed_case.pk, first, seen, region=WEST_GRID)))
    first_thread.start()
    assert inside_first.wait(THREAD_TIMEOUT)
    second_thread = threading.Thread(target=run, args=("second", _dispatch(filed_case.pk, second, seen, region=WEST_GRID)))
    second_thread.start()
    second_thread.join(1.0)
    blocked_while_first_held = second_thread.is_alive()
    release_first.set()
    first_thread.join(THREAD_TIMEOUT)
    second_thread.join(THREAD_TIMEOUT)
    assert not first_thread.is_alive() and not second_thread.is_alive()
    assert blocked_while_first_held, f"the second dispatch finished while the first held the case: {outcomes}"
    assert isinstance(outcomes["first"], Case), outcomes
    assert isinstance(outcomes["second"], CaseChanged), outcomes
    _assert_one_dispatch(filed_case, [outcomes["first"], outcomes["second"]], CaseChanged)


def test_two_reports_on_the_same_day_get_distinct_numbers(filed_case):
    category = make_category()
    same_day = datetime(2025, 3, 12, 15, 0, tzinfo=SHANGHAI)
    outcomes = _run_together(*[lambda: report(category, at=same_day) for _ in range(2)])
    assert all(isinstance(outcome, Case) for outcome in outcomes), outcomes
    numbers = sorted(outcome.number for outcome in outcomes)
    # filed_case took 20250312000001; the two new ones follow it, whichever came first.
    assert numbers == ["20250312000002", "20250312000003"]
    assert Case.objects.filter(number__startswith="20250312").count() == 3


def test_two_first_reports_of_a_new_day_both_create_the_counter_safely(filed_case):
    category = make_category()
    new_day = datetime(2025, 3, 13, 9, 0, tzinfo=SHANGHAI)
    outcomes = _run_together(*[lambda: report(category, at=new_day) for _ in range(2)])
    assert all(isinstance(outcome, Case) for outcome in outcomes), outcomes
    assert sorted(outcome.number for outcome in outcomes) == ["20250313000001", "20250313000002"]


# --- Open311's intake worker and SQLite's write lock ---------------------------------------------


@pytest.fixture
def intake_thread(settings):
    """Lets tests turn Open311's intake worker on (``settings.GRIDGOV_OPEN311_WORKER = True``);
    turns it off and waits for the thread to end afterwards, whatever the test did."""
    from gridgov.open311.worker import intake_worker

    yield
    settings.GRIDGOV_OPEN311_WORKER = False
    intake_worker.join_after_disabling(THREAD_TIMEOUT)


def test_a_post_is_taken_in_by_the_worker_thread_on_its_own_connection(filed_case, settings, intake_thread):
    from django.test import Client

    from gridgov.open311.models import Submission
    from gridgov.open311.services import create_api_key

    settings.GRIDGOV_OPEN311_WORKER = True
    key = create_api_key("worker-test")[1]
    form = {"api_key": key, "service_code": "event-0101", "lat": "41.79", "long": "123.405", "description": "井盖缺失"}
    tokens = [Client().post("/open311/v2/requests.json", form).json()[0]["token"] for _ in range(3)]
    deadline = time.monotonic() + THREAD_TIMEOUT
    while Submission.objects.filter(state=Submission.State.QUEUED).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    created = Submission.objects.filter(token__in=tokens, state=Submission.State.CREATED)
    assert created.count() == 3, list(Submission.objects.values("state", "refusal"))
    assert len({submission.case.number for submission in created}) == 3


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the write lock is SQLite's (gridgov.dbbackends.sqlite)")
def test_sqlite_write_transactions_hold_the_write_lock_until_commit_or_rollback(filed_case):
    lock_path = f"{connection.settings_dict['NAME']}.write-lock"

    def lock_is_free() -> bool:
        with open(lock_path, "ab") as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(probe, fcntl.LOCK_UN)
            return True

    assert lock_is_free()
    with transaction.atomic():
        Case.objects.filter(pk=filed_case.pk).update(description="edited")
        assert not lock_is_free()  # another writer (thread or process) would wait here
    assert lock_is_free()
    with pytest.raises(RuntimeError), transaction.atomic():
        Case.objects.filter(pk=filed_case.pk).update(description="rolled back")
        assert not lock_is_free()
        raise RuntimeError
    assert lock_is_free() and Case.objects.get(pk=filed_case.pk).description == "edited"


def test_many_concurrent_writers_all_succeed(filed_case):
    """Eight threads reporting at once: each waits its turn for the write lock, none fails."""
    category = make_category()
    same_day = datetime(2025, 3, 12, 15, 0, tzinfo=SHANGHAI)
    outcomes = _run_together(*[lambda: report(category, at=same_day) for _ in range(8)])
    assert all(isinstance(outcome, Case) for outcome in outcomes), outcomes
    assert len({outcome.number for outcome in outcomes}) == 8


def test_two_imports_of_one_hotline_file_take_each_work_order_in_once(filed_case, tmp_path, monkeypatch):
    """Both imports check the file before either inserts, so both see every row as new; the
    database's one-case-per-work-order constraint decides, and the loser reports the row."""
    from gridgov.cases import hotline

    make_category("0101")  # named in the file
    path = tmp_path / "orders.csv"
    rows = [f"GD{n},2025-03-12 09:30:00,门口堆放垃圾,,123.405,41.79,event-0101" for n in range(1, 4)]
    path.write_text("工单编号,受理时间,诉求内容,诉求地址,经度,纬度,问题分类\n" + "\n".join(rows) + "\n", encoding="utf-8")
    both_checked = threading.Barrier(2, timeout=THREAD_TIMEOUT)
    check_records = hotline.check_records

    def check_then_wait(records, **options):
        checked = check_records(records, **options)
        both_checked.wait()
        return checked

    monkeypatch.setattr(hotline, "check_records", check_then_wait)

    def import_in_english():  # each thread starts in the default language
        with translation.override("en"):
            return hotline.import_hotline(path)

    outcomes = _run_together(import_in_english, import_in_english)

    assert all(isinstance(outcome, hotline.ImportResult) for outcome in outcomes), outcomes
    imported = sorted(external_id for result in outcomes for _row, external_id, _number in result.imported)
    refused = sorted(problem.external_id for result in outcomes for problem in result.refused)
    assert imported == refused == ["GD1", "GD2", "GD3"]
    assert all("another import running at the same time" in p.reason for result in outcomes for p in result.refused)
    assert sorted(Case.objects.filter(source="hotline").values_list("external_id", flat=True)) == ["GD1", "GD2", "GD3"]


def test_loading_the_application_takes_in_what_a_stopped_server_left_queued(filed_case, settings, intake_thread):
    import importlib

    from django.test import Client

    import gridgov.wsgi
    from gridgov.open311.models import Submission
    from gridgov.open311.services import create_api_key

    key = create_api_key("left-over")[1]
    form = {"api_key": key, "service_code": "event-0101", "lat": "41.79", "long": "123.405", "description": "井盖缺失"}
    token = Client().post("/open311/v2/requests.json", form).json()[0]["token"]  # worker off: stays queued
    assert Submission.objects.get(token=token).state == Submission.State.QUEUED
    settings.GRIDGOV_OPEN311_WORKER = True
    importlib.reload(gridgov.wsgi)  # what a server process does when it starts
    deadline = time.monotonic() + THREAD_TIMEOUT
    while Submission.objects.get(token=token).state == Submission.State.QUEUED and time.monotonic() < deadline:
        time.sleep(0.05)
    assert Submission.objects.get(token=token).state == Submission.State.CREATED


# --- row locks on PostgreSQL: a step locks its case, nothing else ----------------------------------

needs_row_locks = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks are PostgreSQL's; SQLite's one write lock serialises every writer"
)
LOCK_TIMEOUT = "10s"  # generous: a step that waits this long on a lock was blocked, not slow


def _filed_case_like(case):
    intake = make_user(Role.INTAKE_CLERK, username="intake-2")
    other = report(case.category, at=WEDNESDAY_9)
    for action in ("accept", "file"):
        other = take_action(other.pk, action, intake, at=WEDNESDAY_9)
    return other


def _with_lock_timeout(call):
    """Run ``call`` on this thread's connection with a lock timeout, so a step that would wait
    for another transaction's lock fails instead of hanging the test."""

    def run():
        with connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
        return call()

    return run


def _while_held(monkeypatch, action, holder, held_call, other_calls):
    """Run ``held_call`` in a thread and stop it inside its transaction (in the step's handler,
    after the case is locked); run ``other_calls`` meanwhile, each in its own thread; then let
    the held step finish. Returns (held outcome, [outcomes of the others])."""
    from gridgov.cases import workflow

    inside, release = threading.Event(), threading.Event()
    real = workflow.TRANSITIONS[action].handler

    def held(ctx):
        if ctx.actor is not None and ctx.actor.pk == holder.pk:
            inside.set()
            assert release.wait(THREAD_TIMEOUT)
        real(ctx)

    monkeypatch.setitem(workflow.TRANSITIONS, action, dataclasses.replace(workflow.TRANSITIONS[action], handler=held))
    outcomes: dict = {}

    def run(name, call):
        try:
            outcomes[name] = call()
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            outcomes[name] = error
        finally:
            connection.close()

    held_thread = threading.Thread(target=run, args=("held", held_call))
    held_thread.start()
    try:
        assert inside.wait(THREAD_TIMEOUT)
        others = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(other_calls)]
        for thread in others:
            thread.start()
        for thread in others:
            thread.join(THREAD_TIMEOUT)
    finally:
        release.set()
        held_thread.join(THREAD_TIMEOUT)
    assert not held_thread.is_alive()
    return outcomes["held"], [outcomes.get(index) for index in range(len(other_calls))]


@needs_row_locks
def test_a_step_on_one_case_does_not_block_a_step_on_another_case_of_its_category(filed_case, monkeypatch):
    """A step locks its case row only: the category row (read along with the case) stays free,
    so every case of a busy category does not queue behind the one being acted on."""
    other_case = _filed_case_like(filed_case)
    first, second = _two_dispatchers()
    held, [other] = _while_held(
        monkeypatch,
        "dispatch",
        first,
        _dispatch(filed_case.pk, first, None, region=WEST_GRID),
        [_with_lock_timeout(_dispatch(other_case.pk, second, None, region=WEST_GRID))],
    )
    assert isinstance(other, Case), f"the step on the other case waited for the first one's lock: {other!r}"
    assert isinstance(held, Case), held
    assert Case.objects.filter(pk__in=[filed_case.pk, other_case.pk], state=State.DISPATCHED).count() == 2


@needs_row_locks
def test_two_clerks_merging_two_cases_into_each_other_at_once_one_wins_the_other_is_told(filed_case, monkeypatch):
    """A→B and B→A at the same moment: each step locks its own case, then writing the link to the
    other needs the other's row. Both rows are locked first, in the order of their ids, so one
    merge waits for the other and then finds its target merged: no "deadlock detected"."""
    from gridgov.cases import workflow
    from gridgov.cases.workflow import WorkflowError

    other_case = _filed_case_like(filed_case)
    first, second = make_user(Role.INTAKE_CLERK, username="clerk-1"), make_user(Role.INTAKE_CLERK, username="clerk-2")
    # Both steps meet inside their handlers, each holding what it has locked so far; when one
    # has to wait for the other's lock instead, the meeting times out and each goes on alone.
    both_inside = threading.Barrier(2, timeout=2)
    real_merge = workflow.TRANSITIONS["merge"].handler

    def merge_after_meeting(ctx):
        try:
            both_inside.wait()
        except threading.BrokenBarrierError:
            pass
        real_merge(ctx)

    monkeypatch.setitem(
        workflow.TRANSITIONS, "merge", dataclasses.replace(workflow.TRANSITIONS["merge"], handler=merge_after_meeting)
    )

    def merge(case, into, clerk):
        return _with_lock_timeout(lambda: take_action(case.pk, "merge", clerk, at=WEDNESDAY_9, into=into.number))

    outcomes = _run_together(merge(filed_case, other_case, first), merge(other_case, filed_case, second))
    merged = [outcome for outcome in outcomes if isinstance(outcome, Case)]
    refused = [outcome for outcome in outcomes if not isinstance(outcome, Case)]
    assert len(merged) == 1 and len(refused) == 1, outcomes
    told = str(refused[0])  # a whole sentence in the active language
    assert type(refused[0]) is WorkflowError and ("cannot take a duplicate" in told or "不能再合并其他案件" in told), outcomes
    states = dict(Case.objects.filter(pk__in=[filed_case.pk, other_case.pk]).values_list("pk", "state"))
    assert sorted(states.values()) == [State.FILED, State.MERGED]
