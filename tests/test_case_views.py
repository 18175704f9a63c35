"""The case pages: public intake and look-up, and the staff inbox, list, detail and actions."""

import pytest
from django.urls import reverse

from gridgov.accounts.models import AuditEvent, Role
from gridgov.cases.models import Case, Source, State
from gridgov.cases.services import take_action

from .case_factories import WEST_POINT, make_category, make_department, make_team, make_user, report
from .factories import EAST_GRID, WEST_GRID

pytestmark = pytest.mark.django_db

EAST_POINT = (41.79, 123.435)
PHONE = "13800001234"
REPORTER_NAME = "张三丰"


@pytest.fixture
def team(network):
    return make_team()


@pytest.fixture
def category(network):
    return make_category("0101")


def login(client, user):
    client.force_login(user)
    return client


def report_form(category, **changes) -> dict:
    lat, lng = WEST_POINT
    return {
        "category": category.pk, "lat": lat, "lng": lng, "description": "小区门口垃圾堆积",
        "reporter_name": REPORTER_NAME, "reporter_phone": PHONE, **changes,
    }  # fmt: skip


def closed_case(team, **fields) -> Case:
    case = report(reporter_name=REPORTER_NAME, **fields)
    steps = [("accept", "intake", {}), ("file", "intake", {}), ("dispatch", "dispatcher", {"region": WEST_GRID}),
             ("start", "grid_worker", {}), ("finish", "grid_worker", {}), ("verify", "verifier", {}), ("pass", "verifier", {})]  # fmt: skip
    for action, who, params in steps:
        case = take_action(case.pk, action, team[who], **params)
    return case


# --- public intake --------------------------------------------------------------------------------


def test_anyone_can_report_and_gets_a_case_number(client, category):
    page = client.get(reverse("report:new"))
    assert page.status_code == 200
    assert category.name in page.content.decode()

    response = client.post(reverse("report:new"), report_form(category))
    assert response.status_code == 302 and response["Location"] == reverse("report:done")
    case = Case.objects.get()
    assert (case.source, case.grid_code, case.reporter_phone, case.reporter) == (Source.RESIDENT, WEST_GRID, PHONE, None)
    done = client.get(reverse("report:done"))
    assert case.number in done.content.decode()


def test_a_signed_in_resident_gets_the_case_linked(client, team, category):
    login(client, team["resident"])
    client.post(reverse("report:new"), report_form(category))
    case = Case.objects.get()
    assert case.reporter == team["resident"]
    page = client.get(reverse("report:lookup"))
    assert reverse("report:mine", args=[case.number]) in page.content.decode()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"reporter_phone": ""}, "This field is required"),
        ({"lat": "", "lng": ""}, "Drop a pin"),
        ({"lat": 41.9, "lng": 123.5}, "outside the district"),
        ({"description": "x" * 4001}, "4000"),
    ],
)
def test_bad_reports_are_refused_with_a_message(client, category, settings, changes, message):
    settings.LANGUAGE_CODE = "en"
    response = client.post(reverse("report:new"), report_form(category, **changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Case.objects.exists()


def test_a_grid_worker_reports_from_patrol_only_inside_their_grid(client, team, category):
    login(client, team["grid_worker"])
    lat, lng = EAST_POINT
    refused = client.post(reverse("report:new"), report_form(category, lat=lat, lng=lng, reporter_phone=""))
    assert refused.status_code == 400 and not Case.objects.exists()

    accepted = client.post(reverse("report:new"), report_form(category, reporter_phone=""))
    assert accepted.status_code == 302
    case = Case.objects.get()
    assert (case.source, case.reporter) == (Source.PATROL, team["grid_worker"])


def test_public_intake_is_rate_limited(client, category, settings):
    settings.GRIDGOV_INTAKE_RATE = "2/h"
    statuses = [client.post(reverse("report:new"), report_form(category)).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert Case.objects.count() == 2


def test_similar_reports_nearby_carry_no_personal_data(client, category):
    existing = report(category, reporter_name=REPORTER_NAME)
    lat, lng = WEST_POINT
    response = client.get(reverse("report:similar"), {"category": category.pk, "lat": lat + 0.0005, "lng": lng})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["number"] for r in results] == [existing.number]
    assert 50 <= results[0]["distance_m"] <= 60
    body = response.content.decode()
    assert PHONE not in body and REPORTER_NAME not in body

    far = client.get(reverse("report:similar"), {"category": category.pk, "lat": lat + 0.01, "lng": lng})
    assert far.json()["results"] == []
    assert client.get(reverse("report:similar"), {"category": "x"}).status_code == 400


# --- public look-up and rating ----------------------------------------------------------------------


def test_lookup_shows_the_timeline_without_personal_data(client, team):
    case = report(reporter_name=REPORTER_NAME)
    take_action(case.pk, "accept", team["intake"], note="internal: caller sounded upset")
    response = client.post(reverse("report:lookup"), {"number": case.number, "phone": "138-0000-1234"})
    body = response.content.decode()
    assert response.status_code == 200
    assert case.number in body and 'data-action="accept"' in body
    for secret in (PHONE, REPORTER_NAME, team["intake"].username, "caller sounded upset"):
        assert secret not in body


def test_lookup_with_the_wrong_phone_shows_nothing(client, team):
    case = report(description="只有报告人能看到")
    response = client.post(reverse("report:lookup"), {"number": case.number, "phone": "13900000000"})
    assert response.status_code == 400
    assert "只有报告人能看到" not in response.content.decode() and 'id="timeline"' not in response.content.decode()


def test_a_closed_case_is_rated_by_number_and_phone(client, team):
    case = closed_case(team)
    page = client.post(reverse("report:lookup"), {"number": case.number, "phone": PHONE})
    assert 'id="rate-form"' in page.content.decode()

    wrong = client.post(reverse("report:rate"), {"number": case.number, "phone": "13900000000", "rating": "satisfied"})
    assert wrong.status_code == 400
    case.refresh_from_db()
    assert case.state == State.CLOSED

    client.post(reverse("report:rate"), {"number": case.number, "phone": PHONE, "rating": "satisfied"})
    case.refresh_from_db()
    assert (case.state, case.rating) == (State.RATED, "satisfied")


def test_not_satisfied_reopens_the_case(client, team):
    case = closed_case(team)
    client.post(reverse("report:rate"), {"number": case.number, "phone": PHONE, "rating": "not_satisfied"})
    case.refresh_from_db()
    assert (case.state, case.reopen_count) == (State.FILED, 1)


def test_a_signed_in_resident_rates_their_own_case_as_themselves(client, team):
    case = closed_case(team, reporter=team["resident"])
    login(client, team["resident"])
    assert client.get(reverse("report:mine", args=[case.number])).status_code == 200
    client.post(reverse("report:rate"), {"number": case.number, "rating": "basically"})
    step = case.steps.get(action="rate")
    assert (step.actor, step.data["rating"]) == (team["resident"], "basically")


def test_a_resident_cannot_open_someone_elses_case(client, team):
    case = report(reporter=team["resident"])
    other = make_user(Role.RESIDENT, username="neighbour")
    login(client, other)
    assert client.get(reverse("report:mine", args=[case.number])).status_code == 404


# --- staff pages -------------------------------------------------------------------------------------


def test_descriptions_are_escaped_everywhere(client, team):
    case = report(description='<script>alert("x")</script> 垃圾')
    login(client, team["intake"])
    for page in (client.get(reverse("cases:detail", args=[case.number])), client.get(reverse("cases:list"), {"q": "垃圾"})):
        assert page.status_code == 200
    detail = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert "<script>alert" not in detail and "&lt;script&gt;alert" in detail
    client.logout()
    public = client.post(reverse("report:lookup"), {"number": case.number, "phone": PHONE}).content.decode()
    assert "<script>alert" not in public


def test_a_user_never_sees_a_case_outside_their_unit(client, team):
    west = report()
    east = report(point=EAST_POINT)
    login(client, team["grid_worker"])  # west grid
    take_action(west.pk, "accept", team["intake"])
    assert client.get(reverse("cases:detail", args=[east.number])).status_code == 404
    assert client.get(reverse("cases:detail", args=[west.number])).status_code == 200
    listing = client.get(reverse("cases:list")).content.decode()
    assert west.number in listing and east.number not in listing
    assert client.post(reverse("cases:act", args=[east.number, "start"]), {"version": east.version}).status_code == 404


def test_inbox_lists_what_waits_on_the_user_soonest_first(client, team):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    # Two reports in working hours of a working day (Wednesday), so their deadlines differ whatever
    # the hour the test runs at: reports out of hours share one deadline and list newest first.
    morning = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    first = report(at=morning)
    second = report(point=EAST_POINT, at=morning.replace(hour=11))
    login(client, team["intake"])
    body = client.get(reverse("cases:inbox")).content.decode()
    assert body.index(first.number) < body.index(second.number)

    client.force_login(team["street"])  # west street: no intake work, nothing waits
    assert first.number not in client.get(reverse("cases:inbox")).content.decode()


def test_inbox_marks_overdue_cases(client, team):
    from datetime import timedelta

    from django.utils import timezone

    case = report(at=timezone.now() - timedelta(days=7))
    login(client, team["intake"])
    body = client.get(reverse("cases:inbox")).content.decode()
    assert f'class="is-overdue" data-number="{case.number}"' in body


def test_list_filters_and_search(client, team):
    west = report(description="井盖缺失")
    east = report(point=EAST_POINT, description="垃圾满溢")
    take_action(west.pk, "accept", team["intake"])
    login(client, team["intake"])

    def numbers(**query):
        body = client.get(reverse("cases:list"), query).content.decode()
        return {n for n in (west.number, east.number) if n in body}

    assert numbers() == {west.number, east.number}
    assert numbers(state="accepted") == {west.number}
    assert numbers(region=EAST_GRID[:9]) == {east.number}
    assert numbers(q="井盖") == {west.number}
    assert numbers(q=east.number) == {east.number}
    assert numbers(source="hotline") == set()


def test_residents_are_sent_from_staff_pages_to_the_lookup(client, team):
    login(client, team["resident"])
    response = client.get(reverse("cases:inbox"))
    assert response.status_code == 302 and response["Location"] == reverse("report:lookup")


def test_detail_offers_one_form_per_allowed_action_with_the_version(client, team):
    case = report()
    login(client, team["intake"])
    body = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    for action in ("accept", "reject", "merge"):
        assert f'data-action="{action}"' in body
    assert 'data-action="dispatch"' not in body
    assert f'name="version" value="{case.version}"' in body


def test_dispatch_proposes_the_grid_when_the_category_is_handled_in_the_grid(client, team):
    handled_here = make_category("0101")
    handled_here.handled_in_grid = True
    handled_here.save()
    in_grid = report(handled_here)
    department = make_department("sw", "水务局")
    outside = make_category("0102", handled_in_grid=False)
    outside.default_department = department
    outside.handled_in_grid = False
    outside.save()
    elsewhere = report(outside)
    login(client, team["dispatcher"])
    for case in (in_grid, elsewhere):
        take_action(case.pk, "accept", team["intake"])
        take_action(case.pk, "file", team["intake"])
    grid_page = client.get(reverse("cases:detail", args=[in_grid.number])).content.decode()
    assert f'value="region:{WEST_GRID}" selected' in grid_page
    dept_page = client.get(reverse("cases:detail", args=[elsewhere.number])).content.decode()
    assert 'value="department:sw" selected' in dept_page


def test_actions_through_the_page_move_the_case(client, team):
    case = report()
    login(client, team["intake"])
    response = client.post(reverse("cases:act", args=[case.number, "accept"]), {"version": case.version})
    assert response.status_code == 302
    case.refresh_from_db()
    client.post(reverse("cases:act", args=[case.number, "file"]), {"version": case.version})
    client.force_login(team["dispatcher"])
    case.refresh_from_db()
    client.post(
        reverse("cases:act", args=[case.number, "dispatch"]), {"version": case.version, "assignee": f"region:{WEST_GRID}"}
    )
    case.refresh_from_db()
    assert (case.state, case.assigned_region.code) == (State.DISPATCHED, WEST_GRID)
    detail = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert team["dispatcher"].username in detail  # the timeline says who


def test_a_stale_version_is_refused_and_the_page_reloads(client, team, settings):
    settings.LANGUAGE_CODE = "en"
    case = report()
    stale = case.version
    take_action(case.pk, "accept", team["intake"])
    login(client, team["shift_lead"])
    response = client.post(reverse("cases:act", args=[case.number, "file"]), {"version": stale})
    assert response.status_code == 409
    body = response.content.decode()
    assert "was changed by someone else after you opened it" in body
    assert f'name="version" value="{stale + 1}"' in body
    case.refresh_from_db()
    assert case.state == State.ACCEPTED


def test_a_missing_note_or_a_wrong_role_is_explained(client, team):
    case = report()
    login(client, team["intake"])
    missing_note = client.post(reverse("cases:act", args=[case.number, "reject"]), {"version": case.version, "note": ""})
    body = missing_note.content.decode()
    assert missing_note.status_code == 400 and "请填写备注说明原因：“不予受理”需要备注。" in body
    client.force_login(team["verifier"])
    wrong_role = client.post(reverse("cases:act", args=[case.number, "accept"]), {"version": case.version})
    assert wrong_role.status_code == 403
    case.refresh_from_db()
    assert case.state == State.REPORTED


def test_the_open_case_map_page_loads(client, team):
    login(client, team["dispatcher"])
    response = client.get(reverse("cases:map"))
    assert response.status_code == 200 and "open.geojson" in response.content.decode()


def test_the_reporter_phone_is_masked_outside_the_command_centre(client, team):
    case = report()
    take_action(case.pk, "accept", team["intake"])
    take_action(case.pk, "file", team["intake"])
    take_action(case.pk, "dispatch", team["dispatcher"], region=WEST_GRID)
    login(client, team["grid_worker"])
    worker_view = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert PHONE not in worker_view and "138****1234" in worker_view and 'data-testid="reveal-reporter"' not in worker_view
    assert client.post(reverse("cases:reveal_reporter", args=[case.number])).status_code == 403
    # The command centre sees masks too, until it asks for the details; each ask is audited.
    client.force_login(team["intake"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert PHONE not in page and 'data-testid="reveal-reporter"' in page
    assert not AuditEvent.objects.filter(action="cases.personal_data_viewed").exists()
    revealed = client.post(reverse("cases:reveal_reporter", args=[case.number])).content.decode()
    assert PHONE in revealed
    event = AuditEvent.objects.get(action="cases.personal_data_viewed")
    assert (event.actor, event.target_id) == (team["intake"], str(case.pk))


def test_administrators_and_leaders_see_masks_only(client, team):
    case = report(reporter_name=REPORTER_NAME)
    for role in (Role.LEADER, Role.VERIFIER):
        login(client, make_user(role, username=f"{role}-masks"))
        page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
        assert PHONE not in page and REPORTER_NAME not in page and "张**" in page, role
        assert client.post(reverse("cases:reveal_reporter", args=[case.number])).status_code == 403, role
    # The three administrators see no case at all (三员分立): not even the masks.
    for role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN):
        login(client, make_user(role, username=f"{role}-masks"))
        detail = client.get(reverse("cases:detail", args=[case.number]))
        revealed = client.post(reverse("cases:reveal_reporter", args=[case.number]))
        assert detail.status_code != 200 and revealed.status_code != 200, role
        assert PHONE not in detail.content.decode() + revealed.content.decode(), role


def test_command_centre_staff_name_the_source_of_a_report(client, team, category):
    login(client, team["intake"])
    response = client.post(reverse("report:new"), report_form(category, source=Source.HOTLINE, reporter_phone=""))
    assert response.status_code == 302
    assert Case.objects.get().source == Source.HOTLINE


def test_lookups_are_rate_limited(client, team, settings):
    settings.GRIDGOV_LOOKUP_RATE = "2/h"
    case = report()
    statuses = [
        client.post(reverse("report:lookup"), {"number": case.number, "phone": "139000000%02d" % i}).status_code for i in range(3)
    ]
    assert statuses == [400, 400, 429]


def test_public_intake_limit_ignores_made_up_keys_and_forwarded_for(client, category, settings):
    """A random api_key field, X-Api-Key header or X-Forwarded-For per request used to open a
    fresh bucket each time (no proxy is trusted by default)."""
    settings.GRIDGOV_INTAKE_RATE = "2/h"
    statuses = [
        client.post(
            reverse("report:new"),
            report_form(category, api_key=f"k{i}"),
            headers={"X-Api-Key": f"h{i}", "X-Forwarded-For": f"198.51.100.{i}"},
        ).status_code
        for i in range(4)
    ]
    assert statuses == [302, 302, 429, 429]
    assert Case.objects.count() == 2


def test_phone_guessing_locks_the_case_number(client, team, settings):
    settings.GRIDGOV_LOOKUP_FAILURES = "5/h"
    case = closed_case(team)
    guesses = [
        client.post(reverse("report:lookup"), {"number": case.number, "phone": "139000000%02d" % i}, REMOTE_ADDR=f"203.0.113.{i}")
        for i in range(5)
    ]
    assert [response.status_code for response in guesses] == [400] * 5
    # Locked now, from any address and even with the right phone: guessing gains nothing.
    locked = client.post(reverse("report:lookup"), {"number": case.number, "phone": PHONE}, REMOTE_ADDR="203.0.113.99")
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    body = locked.content.decode()
    assert "look-up is locked" in body or "查询已被锁定" in body
    assert 'id="timeline"' not in body
    rating = client.post(
        reverse("report:rate"), {"number": case.number, "phone": PHONE, "rating": "satisfied"}, REMOTE_ADDR="203.0.113.98"
    )
    assert rating.status_code == 429
    case.refresh_from_db()
    assert case.state == State.CLOSED
    other = report()
    assert (
        client.post(reverse("report:lookup"), {"number": other.number, "phone": PHONE}, REMOTE_ADDR="203.0.113.97").status_code
        == 200
    )


def test_phone_guessing_from_one_address_locks_that_address(client, team, settings):
    settings.GRIDGOV_LOOKUP_FAILURES = "3/h"
    cases = [report() for _ in range(4)]
    statuses = [client.post(reverse("report:lookup"), {"number": c.number, "phone": "13900000000"}).status_code for c in cases]
    assert statuses == [400, 400, 400, 429]


def test_rating_someone_elses_case_by_guessing_phones_is_locked(client, team, settings):
    settings.GRIDGOV_LOOKUP_FAILURES = "5/h"
    case = closed_case(team)
    statuses = [
        client.post(
            reverse("report:rate"), {"number": case.number, "phone": "139000000%02d" % i, "rating": "not_satisfied"}
        ).status_code
        for i in range(7)
    ]
    assert statuses == [400] * 5 + [429] * 2
    case.refresh_from_db()
    assert case.state == State.CLOSED


def test_the_street_whistles_with_a_lead_and_co_departments(client, team):
    make_department("sw", "水务局")
    make_department("jt", "交通局")
    case = report()
    take_action(case.pk, "accept", team["intake"])
    case = take_action(case.pk, "file", team["intake"])
    login(client, team["street"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert 'data-action="whistle"' in page
    data = {"version": case.version, "lead": "sw", "co": ["jt", "cgj", "sw"], "note": "多部门联合处置"}
    client.post(reverse("cases:act", args=[case.number, "whistle"]), data)
    case.refresh_from_db()
    assert case.assigned_department.code == "sw"
    assert {d.code for d in case.co_departments.all()} == {"jt", "cgj"}


def test_a_handler_asks_for_more_time_in_working_hours(client, team):
    case = report()
    take_action(case.pk, "accept", team["intake"])
    take_action(case.pk, "file", team["intake"])
    case = take_action(case.pk, "dispatch", team["dispatcher"], region=WEST_GRID)
    login(client, team["grid_worker"])
    client.post(
        reverse("cases:act", args=[case.number, "request_extension"]),
        {"version": case.version, "hours": "8", "note": "需要协调物业"},
    )
    request = case.extension_requests.get()
    assert (request.hours, request.status) == (8, "pending")


def test_accept_and_file_is_one_button_with_corrections_and_a_refusal_keeps_the_note(client, team, settings):
    settings.LANGUAGE_CODE = "en"
    case = report()
    login(client, team["intake"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert 'data-testid="action-accept_file"' in page and 'data-testid="file-category"' in page
    refused = client.post(
        reverse("cases:act", args=[case.number, "accept_file"]),
        {"version": case.version, "note": "来电人补充了门牌号", "lat": "10", "lng": "10"},
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "outside the district" in body and "来电人补充了门牌号</textarea>" in body
    done = client.post(reverse("cases:act", args=[case.number, "accept_file"]), {"version": case.version, "note": "ok"})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.state == State.FILED and [s.action for s in case.steps.all()] == ["report", "accept", "file"]


def _filed(team, **fields):
    case = report(**fields)
    return take_action(case.pk, "accept_file", team["intake"])


def test_the_dispatchers_queue_shows_names_description_flags_and_filters(client, team, settings):
    settings.LANGUAGE_CODE = "en"
    west = _filed(team, description="西边路口堆放大量建筑垃圾需要清运")
    east = _filed(team, point=(41.79, 123.435), description="东边井盖缺失")
    login(client, team["dispatcher"])
    page = client.get(reverse("cases:inbox")).content.decode()
    assert "西街道 · 西社区 · 西一网格" in page and "东街道 · 东社区 · 东二网格" in page
    assert "西边路口堆放大量建筑垃圾需要清运" in page and 'class="countdown"' in page
    assert "sorted by what is due first" in page and 'data-label="Where"' in page
    assert 'data-testid="dispatch-selected"' in page
    only_west = client.get(reverse("cases:inbox"), {"street": "210199001"}).content.decode()
    assert west.number in only_west and east.number not in only_west


def test_the_shift_leads_queue_flags_a_pending_extension(client, team, settings):
    settings.LANGUAGE_CODE = "en"
    case = _filed(team)
    case = take_action(case.pk, "dispatch", team["dispatcher"], region=WEST_GRID)
    take_action(case.pk, "request_extension", team["grid_worker"], hours="4", note="需要吊车")
    login(client, team["shift_lead"])
    page = client.get(reverse("cases:inbox")).content.decode()
    assert case.number in page and 'data-testid="flag-extension"' in page


def test_batch_dispatch_takes_one_step_per_case_and_says_how_each_went(client, team, settings):
    settings.LANGUAGE_CODE = "en"
    first, second = _filed(team), _filed(team, description="第二件")
    stale = second.version
    take_action(second.pk, "suspend", team["shift_lead"], note="等待")  # moves its version on
    login(client, team["dispatcher"])
    response = client.post(
        reverse("cases:dispatch_batch"),
        {"cases": [first.number, second.number], f"version-{first.number}": first.version, f"version-{second.number}": stale},
        follow=True,
    )
    body = response.content.decode()
    assert f"Case {first.number} was dispatched to" in body
    assert f"Case {second.number} was not dispatched" in body
    first.refresh_from_db(), second.refresh_from_db()
    assert first.state == State.DISPATCHED and second.state == State.FILED
    assert first.steps.filter(action="dispatch", actor=team["dispatcher"]).count() == 1


def test_the_call_centre_finds_cases_by_the_callers_phone(client, team):
    case = report()  # reported from 13800001234
    login(client, team["intake"])
    found = client.get(reverse("cases:list"), {"q": "138-0000-1234"}).content.decode()
    assert case.number in found
    client.force_login(team["grid_worker"])
    assert case.number not in client.get(reverse("cases:list"), {"q": "13800001234"}).content.decode()


def test_a_refused_merge_says_why_in_chinese_and_keeps_what_was_typed(client, team):
    case = report()
    login(client, team["intake"])
    response = client.post(
        reverse("cases:act", args=[case.number, "merge"]),
        {"version": case.version, "into": "99999999999999", "note": "与前一件重复", "public_note": "已合并处理"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "请填写要合并到的案件编号：没有编号为“99999999999999”的其他案件。" in body
    assert "与前一件重复</textarea>" in body and "已合并处理</textarea>" in body and 'value="99999999999999"' in body


def test_resume_is_offered_only_on_a_suspended_case(client, team):
    case = _filed(team)
    login(client, team["shift_lead"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert 'data-action="suspend"' in page and 'data-action="resume"' not in page


def test_a_rating_given_by_number_and_phone_names_the_reporter(client, team, settings):
    settings.LANGUAGE_CODE = "en"
    case = closed_case(team)
    client.post(reverse("report:rate"), {"number": case.number, "phone": "13800001234", "rating": "satisfied"})
    login(client, team["intake"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    rate = page[page.index('data-action="rate"') :][:600]
    assert "Reporter" in rate and "system" not in rate.lower()
