"""Pages and JSON API of projects and the economy: render, scope, drill-down, raising a problem,
the import's refusal page, bad input answered with 400 and a sentence, never a 5xx."""

from datetime import date
from io import BytesIO

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from openpyxl import Workbook

from gridgov.accounts.models import Role
from gridgov.demo.economy import build_projects_and_economy
from gridgov.grids.models import Region
from gridgov.projects import services
from gridgov.projects.models import Project, ProjectProblem, Stage

YEAR = 2026


@pytest.fixture
def demo(network):
    build_projects_and_economy(20240901, year=YEAR)


@pytest.fixture
def leader(django_user_model):
    return django_user_model.objects.create_user("leader", role=Role.LEADER)


@pytest.fixture
def leader_client(client, leader):
    client.force_login(leader)
    return client


def test_list_counts_link_to_the_projects_behind_them(leader_client, demo):
    page = leader_client.get(reverse("projects:list"), {"year": YEAR, "first": 1, "last": 8})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="count-started">145<' in body
    drill = leader_client.get(reverse("projects:list"), {"year": YEAR, "first": 1, "last": 8, "measure": "started"})
    assert drill.context["total"] == 145


@pytest.mark.parametrize("query", [{"year": "x"}, {"first": 9, "last": 3}, {"last": 13}, {"industry": "nope"}])
def test_bad_period_or_filter_is_a_400_with_a_sentence(leader_client, demo, query):
    page = leader_client.get(reverse("projects:list"), query)
    assert page.status_code == 400 and b"form-error" in page.content


def test_project_page_raises_a_problem_and_shows_its_state(leader_client, demo):
    project = Project.objects.filter(grid_code__startswith="210199").first()
    page = leader_client.get(reverse("projects:detail", args=[project.pk]))
    assert page.status_code == 200
    answer = leader_client.post(
        reverse("projects:raise-problem", args=[project.pk]), {"kind": "permit", "description": "施工许可证迟迟未批"}
    )
    assert answer.status_code == 302
    problem = ProjectProblem.objects.get(project=project)
    page = leader_client.get(reverse("projects:detail", args=[project.pk]))
    assert problem.case_number in page.content.decode()
    assert leader_client.get(reverse("projects:problems")).context["problems"][0].problem == problem
    empty = leader_client.post(reverse("projects:raise-problem", args=[project.pk]), {"kind": "permit", "description": ""})
    assert empty.status_code == 400


def test_a_street_cannot_open_another_streets_project(client, network, django_user_model):
    east = services.create_project(name="东项目", total_investment=20000, lat=41.79, lng=123.435)
    street = django_user_model.objects.create_user("street", role=Role.STREET_STAFF, region=Region.objects.get(code="210199001"))
    client.force_login(street)
    assert client.get(reverse("projects:detail", args=[east.pk])).status_code == 404
    assert client.post(reverse("projects:raise-problem", args=[east.pk]), {"kind": "land", "description": "x"}).status_code == 404
    assert client.get(f"/api/v1/projects/{east.pk}").status_code == 404


def test_residents_see_no_projects_and_no_economy(client, network, django_user_model):
    client.force_login(django_user_model.objects.create_user("resident", role=Role.RESIDENT))
    assert client.get(reverse("projects:list")).status_code == 404
    assert client.get(reverse("economy:index")).status_code == 404
    assert client.get("/api/v1/economy/indicators").status_code == 403


def test_chain_renewal_economy_and_briefing_pages(leader_client, demo):
    assert "gap" in leader_client.get(reverse("projects:chain", args=["automobile"])).content.decode()
    assert leader_client.get(reverse("projects:renewal"), {"year": YEAR}).context["progress"].in_renewal == 121
    assert leader_client.get(reverse("projects:renewal"), {"year": "abc"}).status_code == 200
    economy = leader_client.get(reverse("economy:index"), {"month": f"{YEAR}-08"})
    assert economy.status_code == 200 and "1251.3" in economy.content.decode()
    briefing = leader_client.get(reverse("economy:briefing"), {"month": f"{YEAR}-08"})
    assert "开复工亿元以上项目145个" in briefing.content.decode()
    docx = leader_client.get(reverse("economy:briefing"), {"month": f"{YEAR}-08", "format": "docx"})
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    assert leader_client.get(reverse("economy:export"), {"year": YEAR}).content[:2] == b"PK"


def test_import_needs_the_permission_and_a_refused_file_names_its_rows(leader_client, leader, demo):
    book = Workbook()
    book.active.append(["指标代码", "地区代码", "年份", "月份", "当月值"])
    book.active.append(["industrial-output", "210199", YEAR, 1, 5])
    buffer = BytesIO()
    book.save(buffer)
    upload = {"file": _upload(buffer.getvalue())}
    assert leader_client.post(reverse("economy:import"), upload).status_code == 404
    leader.user_permissions.add(Permission.objects.get(codename="add_monthlyfigure"))
    refused = leader_client.post(reverse("economy:import"), {"file": _upload(buffer.getvalue())}, follow=True)
    assert refused.redirect_chain[0][0].startswith("/jobs/")  # queued; the status page tells the result
    assert 'data-testid="refusals"' in refused.content.decode()
    assert "Row 2" in refused.content.decode("utf-8").replace("第 2 行", "Row 2")


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        "monthly.xlsx", content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def test_api_counts_drill_down_economy_and_bad_input(leader_client, demo):
    counts = leader_client.get("/api/v1/projects/counts", {"year": YEAR, "first": 1, "last": 8}).json()
    started = next(c for c in counts["counts"] if c["measure"] == "started")
    assert (started["current"], started["previous"], started["growth"]) == (145, 122, "18.9") or float(started["growth"]) == 18.9
    assert (
        leader_client.get("/api/v1/projects/", {"measure": "signed", "year": YEAR, "first": 1, "last": 8}).json()["count"] == 113
    )
    assert leader_client.get("/api/v1/projects/", {"measure": "bogus"}).status_code == 400
    assert leader_client.get("/api/v1/projects/counts", {"first": 9, "last": 2}).status_code == 400
    assert leader_client.get("/api/v1/projects/renewal", {"year": YEAR}).json()["in_renewal"] == 121
    assert any(node["is_gap"] for node in leader_client.get("/api/v1/projects/chains/automobile").json())
    rows = {r["indicator"]: r for r in leader_client.get("/api/v1/economy/table", {"month": f"{YEAR}-08"}).json()}
    assert rows["retail-above-quota"]["rank"] == 1 and rows["industrial-output"]["record"] is True
    ranking = leader_client.get("/api/v1/economy/ranking/retail-above-quota", {"month": f"{YEAR}-08"}).json()
    assert len(ranking) == 9 and ranking[0]["district"] == "210199"
    assert leader_client.get("/api/v1/economy/table", {"month": f"{YEAR}-01"}).status_code == 400
    assert leader_client.get("/api/v1/economy/trend/nope").status_code == 404
    assert "145" in leader_client.get("/api/v1/economy/briefing", {"month": f"{YEAR}-08"}).json()["chinese"]
    assert "/api/v1/economy/briefing" in leader_client.get("/api/openapi.json").content.decode()


def test_stage_recording_through_the_service_updates_the_list(leader_client, network):
    project = services.create_project(name="新项目", total_investment=15000, lat=41.79, lng=123.405)
    services.record_stage(project, stage=Stage.SIGNED, on=date(YEAR, 3, 1))
    page = leader_client.get(reverse("projects:list"), {"year": YEAR, "first": 3, "last": 3, "measure": "signed"})
    assert [p.pk for p in page.context["projects"]] == [project.pk]


def test_an_editor_records_a_stage_and_corrects_its_date_from_the_project_page(client, network, django_user_model):
    from gridgov.projects.models import StageEvent

    editor = django_user_model.objects.create_user("bureau", role=Role.LEADER)
    project = services.create_project(name="页面项目", total_investment=15000, lat=41.79, lng=123.405)
    client.force_login(editor)
    assert (
        client.post(reverse("projects:record-stage", args=[project.pk]), {"stage": "signed", "on": "2026-03-01"}).status_code
        == 404
    )
    editor.user_permissions.add(Permission.objects.get(codename="change_project"))
    editor = django_user_model.objects.get(pk=editor.pk)
    client.force_login(editor)
    assert (
        client.post(reverse("projects:record-stage", args=[project.pk]), {"stage": "signed", "on": "2026-03-01"}).status_code
        == 302
    )
    skipped = client.post(reverse("projects:record-stage", args=[project.pk]), {"stage": "started", "on": "2026-03-02"})
    assert skipped.status_code == 400 and b"form-error" in skipped.content
    assert (
        client.post(reverse("projects:record-stage", args=[project.pk]), {"stage": "landed", "on": "not a date"}).status_code
        == 400
    )
    event = StageEvent.objects.get(project=project)
    moved = client.post(
        reverse("projects:correct-stage", args=[project.pk]), {"event": event.pk, "on": "2026-02-27", "reason": "录入错误"}
    )
    assert moved.status_code == 302
    event.refresh_from_db()
    assert event.date == date(2026, 2, 27)
    other = client.post(
        reverse("projects:correct-stage", args=[project.pk]), {"event": 999999, "on": "2026-02-27", "reason": "x"}
    )
    assert other.status_code == 400


def test_admin_edits_of_projects_and_figures_are_audited(client, network, django_user_model):
    from gridgov.accounts.models import AuditEvent
    from gridgov.economy.models import Indicator

    from .auth_helpers import login_verified

    admin_user = django_user_model.objects.create_superuser("root", password="pw-for-tests-only", role=Role.SYSTEM_ADMIN)
    login_verified(client, admin_user)  # the admin demands a second factor of superusers
    answer = client.post(
        "/admin/economy/indicator/add/",
        {"code": "gdp", "name_zh": "地区生产总值", "unit": "亿元", "display_order": 0, "reports_cumulative": "on"},
    )
    assert answer.status_code == 302
    assert AuditEvent.objects.filter(action="economy.admin_saved", target_id=str(Indicator.objects.get(code="gdp").pk)).exists()
    for path in (
        "/admin/projects/project/",
        "/admin/projects/renewalcompound/",
        "/admin/economy/monthlyfigure/",
        "/admin/projects/industrychain/",
    ):
        assert client.get(path).status_code == 200, path


def test_economy_page_shows_an_indicators_trend(leader_client, demo):
    page = leader_client.get(reverse("economy:index"), {"month": f"{YEAR}-08", "indicator": "industrial-output"})
    assert page.status_code == 200
    assert page.context["trend_indicator"].code == "industrial-output"
    assert [f"{f.year}-{f.month}" for f in page.context["trend"]][-1] == f"{YEAR}-8"
    assert page.context["trend_high"] == page.context["trend"][-1].month_value  # August is the record
    assert leader_client.get(reverse("economy:index"), {"month": "junk", "indicator": "nope"}).status_code == 200
