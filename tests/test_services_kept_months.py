"""The statistics page's finished months kept in the evaluation's tables (``CountedMonth`` with
subject "applications", services/selectors.py ``kept_period_figures``): the same figures as the
cold computation for the district, a street and a community, counted again after a decision, a
rating or a backdated application in a kept month, left alone when nothing changed, and a
street's rows never holding another street's applications."""

from datetime import date, datetime

import pytest

from gridgov.accounts.models import Role
from gridgov.evaluation import services as kept_months
from gridgov.evaluation.models import CountedMonth, MonthCount
from gridgov.evaluation.periods import month
from gridgov.services import selectors, services
from gridgov.services.models import Application, ApplicationStep

from .services_factories import pdf, png
from .test_services_workflow import _media, at, catalogue, people  # noqa: F401  (fixtures)

YEAR = 2026
NOW = at(2026, 4, 15, 12, 0)  # January to March finished and kept, April running (live)
WEST, EAST = "210199001", "210199002"  # two streets; 210199001001 is a community of the west one
KEPT = [month(2026, 1), month(2026, 2), month(2026, 3)]


def _apply(catalogue, people, network, point: str, received: datetime, *, bundle=True):
    return services.submit_application(
        actor=people["applicant"],
        bundle=catalogue["bundle"] if bundle else None,
        item=None if bundle else catalogue["items"]["TX-001"],
        applicant_kind="enterprise",
        applicant_name="张三",
        enterprise_name="样例科技有限公司",
        phone="13812345678",
        id_number="110101199003071234",
        channel="window",
        service_point=network[point],
        form_data={"company_name": "样例科技"},
        files={"id-card": png(), "lease": pdf()} if bundle else {},
        certificates=("licence",),
        now=received,
    )


def _accept(people, application, moment):
    return services.take_action(actor=people["clerk"], application=application, action="accept", now=moment)


def _decide(people, application, moment, action="grant"):
    for part in application.parts.all():
        services.act_on_part(actor=people[part.department.code], part=part, action=action, note="不符合条件", now=moment)
    return Application.objects.get(pk=application.pk)


def _rate(people, application, grade, moment):
    services.take_action(actor=people["clerk"], application=application, action="deliver", delivery="electronic", now=moment)
    return services.rate_application(
        actor=people["applicant"], application=application, grade=grade, reasons="办理太慢" if grade <= 2 else "", now=moment
    )


@pytest.fixture
def log(catalogue, people, network, django_user_model):
    """Applications at two streets' points and a community's, January to April 2026: decided on
    time and late, rated good and bad (rectifications opened), one item alone, one only received."""
    made = {}
    plan = [
        ("jan-west", "210199001001", at(2026, 1, 5, 9, 0), 5, True),
        ("jan-east", "210199002001", at(2026, 1, 20, 10, 0), 2, True),
        ("feb-west", "210199001", at(2026, 2, 3, 9, 30), None, True),  # decided, not rated
        ("feb-east", "210199002", at(2026, 2, 10, 14, 0), 4, False),
        ("mar-west", "210199001001", at(2026, 3, 2, 9, 0), 1, True),
        ("mar-open", "210199001001", at(2026, 3, 30, 15, 0), None, None),  # accepted, undecided
        ("apr-west", "210199001", at(2026, 4, 2, 9, 0), 3, True),
    ]
    for name, point, received, grade, decided in plan:
        application = _apply(catalogue, people, network, point, received, bundle=name != "feb-east")
        _accept(people, application, received.replace(minute=received.minute + 10))
        if decided is not None:
            application = _decide(people, application, at(received.year, received.month, received.day + 2, 11, 0))
        if grade is not None:
            application = _rate(people, application, grade, at(received.year, received.month, received.day + 3, 10, 0))
        made[name] = application
    _apply(catalogue, people, network, "210199002001", at(2026, 3, 31, 16, 0))  # received only
    make = django_user_model.objects.create_user
    users = {
        "leader": make("leader", role=Role.LEADER),
        "street": make("west_street", role=Role.STREET_STAFF, region=network[WEST]),
        "east_street": make("east_street", role=Role.STREET_STAFF, region=network[EAST]),
        "community": people["west"],
        "handler": people["TX"],
    }
    return {"applications": made, "users": users}


def _cold(user, now=NOW):
    return selectors.period_figures(date(YEAR, 1, 1), date(YEAR + 1, 1, 1), selectors.statistics_scope(user), now=now)


def _page(user, now=NOW):
    figures = selectors.year_statistics(user, YEAR, now=now)
    return {key: figures[key] for key in ("figures", "departments", "points")}


def _kept_months():
    return CountedMonth.objects.filter(subject=selectors.APPLICATIONS)


@pytest.mark.parametrize("who", ["leader", "street", "east_street", "community"])
def test_kept_months_give_the_figures_of_the_cold_computation(log, who):
    user = log["users"][who]
    assert _page(user) == _cold(user)
    # the first read kept January to March (April runs, and later months have not begun)
    assert sorted(m.start for m in _kept_months()) == [period.start for period in KEPT]
    assert MonthCount.objects.filter(month__subject=selectors.APPLICATIONS, base="all").count() == 3
    assert _page(user) == _cold(user)  # read back from the rows


def test_the_figures_are_real_and_the_kept_rows_hold_sums_not_averages(log):
    page = _page(log["users"]["leader"])
    figures = page["figures"]
    assert (figures["received"], figures["decided"], figures["rated"], figures["good"], figures["bad"]) == (8, 6, 5, 2, 2)
    assert [(row["month"].month, row["count"]) for row in figures["by_month"]] == [(1, 2), (2, 2), (3, 3), (4, 1)]
    assert figures["avg_used"] is not None and figures["avg_promised"] is not None
    [district] = MonthCount.objects.filter(month__subject=selectors.APPLICATIONS, month__start=month(2026, 1).start, base="all")
    assert not any(key.startswith("avg") for key in district.counts) and district.counts["used_n"] == 2
    assert {row["department__name"]: row["opened"] for row in page["departments"]}  # the rectifications are there


def test_a_street_reads_only_its_own_points(log):
    west = log["users"]["street"]
    page = _page(west)
    assert page == _cold(west)
    assert all(row["service_point_code"].startswith(WEST) for row in page["points"])
    west_received = Application.objects.filter(received_at__year=YEAR, service_point_code__startswith=WEST).count()
    assert page["figures"]["received"] == west_received == 5
    rows = kept_months.kept_counts(KEPT, ("point", "point_department"), WEST, selectors.APPLICATIONS)
    units = [unit for bases in rows.values() for base in bases.values() for unit in base]
    assert units and all(unit.startswith(WEST) for unit in units)
    # the east street's bad January rating is in neither its departments nor its totals
    assert page["figures"]["bad"] == 1 and sum(row["bad"] for row in page["departments"]) == len(page["departments"])


def test_a_rating_or_a_decision_in_a_kept_month_changes_the_next_read(log, people):
    leader, street = log["users"]["leader"], log["users"]["street"]
    before = _page(leader)["figures"]
    january = _kept_months().get(start=month(2026, 1).start)
    february = _kept_months().get(start=month(2026, 2).start)
    # February's west application was decided, never rated; it is rated now (in April)
    _rate(people, log["applications"]["feb-west"], 5, at(2026, 4, 14, 10, 0))
    after = _page(leader)["figures"]
    assert (after["rated"], after["good"]) == (before["rated"] + 1, before["good"] + 1)
    assert _page(leader) == _cold(leader) and _page(street) == _cold(street)
    assert _kept_months().get(start=month(2026, 2).start).pk != february.pk  # counted again
    assert _kept_months().get(start=month(2026, 1).start).pk == january.pk  # left alone
    # March's open application is decided now: March is counted again
    _decide(people, log["applications"]["mar-open"], at(2026, 4, 14, 11, 0))
    assert _page(leader)["figures"]["decided"] == after["decided"] + 1
    assert _page(leader) == _cold(leader) and _page(street) == _cold(street)


def test_a_backdated_application_counts_its_month_again(log, catalogue, people, network):
    leader = log["users"]["leader"]
    before = _page(leader)["figures"]["received"]
    _apply(catalogue, people, network, "210199001001", at(2026, 2, 20, 9, 0))  # e.g. a paper form entered late
    assert _page(leader)["figures"]["received"] == before + 1
    assert _page(leader) == _cold(leader)


def test_nothing_changed_nothing_is_counted_again(log, monkeypatch, django_assert_num_queries):
    leader, street = log["users"]["leader"], log["users"]["street"]
    _page(leader), _page(street)
    counted = []
    original = kept_months.count_month
    monkeypatch.setattr(kept_months, "count_month", lambda *args: counted.append(args) or original(*args))
    kept = list(_kept_months().values_list("pk", "step_mark", "case_mark"))
    assert _page(leader) == _cold(leader) and _page(street) == _cold(street)
    assert counted == [] and list(_kept_months().values_list("pk", "step_mark", "case_mark")) == kept
    # the three months from the kept rows: the two marks, the months, their rows
    with django_assert_num_queries(4):
        kept_months.kept_counts(KEPT, ("all", "point", "department"), "", selectors.APPLICATIONS)
    # a step on an application of the running month moves the marks, and counts nothing again
    ApplicationStep.objects.create(application=log["applications"]["apr-west"], action="note", at=NOW)
    _page(leader)
    assert counted == []
    assert {pk for pk, *_marks in kept} == set(_kept_months().values_list("pk", flat=True))
    assert all(m.step_mark == ApplicationStep.objects.latest("pk").pk for m in _kept_months())


def test_a_department_handler_reads_live_and_keeps_nothing(log):
    handler = log["users"]["handler"]
    assert selectors.statistics_prefix(handler) is None
    assert _page(handler) == _cold(handler)
    assert not _kept_months().exists()


def test_the_hourly_task_counts_finished_months_of_applications_too(log, people):
    from gridgov.evaluation.tasks import count_finished_months

    keys = count_finished_months.call()  # what the hourly job runs (the 25 months before today's)
    assert {"applications:2026-01", "applications:2026-02", "applications:2026-03"} <= set(keys)
    assert not any(key.startswith("applications:") and ".." in key for key in keys)  # no running month's days
    assert kept_months.count_finished_months(months=3, now=NOW, subject=selectors.APPLICATIONS) == []
    assert _page(log["users"]["leader"]) == _cold(log["users"]["leader"])
    # a rating in a kept month: the next run counts that month again, and only it
    _rate(people, log["applications"]["feb-west"], 4, NOW)
    assert kept_months.count_finished_months(months=3, now=NOW, subject=selectors.APPLICATIONS) == ["2026-02"]
    # the cases' months stay the cases': their own rows, their own marks
    assert CountedMonth.objects.filter(subject="cases").exists()
    assert not MonthCount.objects.filter(month__subject="cases", base="point").exists()
