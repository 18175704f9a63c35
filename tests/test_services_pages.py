"""The services pages and API end to end: an enterprise applies for business opening online,
the window accepts, four departments grant, the applicant sees it decided and rates it."""

import pytest
from django.urls import reverse

from gridgov.accounts.models import AuditEvent, Role
from gridgov.services import selectors
from gridgov.services.models import Application, State

from .services_factories import Upload, build_catalogue, pdf, png


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def setup(network, django_user_model):
    catalogue = build_catalogue()
    make = django_user_model.objects.create_user
    users = {
        "boss": make("boss", role=Role.RESIDENT),
        "clerk": make("clerk", role=Role.INTAKE_CLERK),
        **{code: make(f"h_{code}", role=Role.DEPARTMENT_HANDLER, department=d) for code, d in catalogue["departments"].items()},
    }
    return catalogue, users


def _apply(client, lease):
    return client.post(
        reverse("services:apply", args=["bundle", "YJS-KB"]),
        {
            "applicant_kind": "enterprise",
            "applicant_name": "张三",
            "enterprise_name": "样例科技",
            "phone": "13812345678",
            "id_number": "110101199003071234",
            "field_company_name": "样例科技",
            "material_id-card": png(),
            "material_lease": lease,
            "certificate_licence": "1",
        },
    )


def test_business_opening_through_the_pages(client, setup):
    _catalogue, users = setup
    client.force_login(users["boss"])
    assert client.get(reverse("services:catalogue")).status_code == 200
    refused = _apply(client, Upload(b"GIF89a not allowed", "lease.pdf"))
    assert refused.status_code == 400 and "样例科技" in refused.content.decode() and not Application.objects.exists()
    response = _apply(client, pdf())
    application = Application.objects.get()
    assert response.status_code == 302 and application.channel == "online"
    client.force_login(users["clerk"])
    page = client.get(reverse("services:detail", args=[application.number]))
    assert "138****5678" in page.content.decode() and "13812345678" not in page.content.decode()
    client.get(reverse("services:detail", args=[application.number]) + "?reveal=1")
    assert AuditEvent.objects.filter(action="services.reveal_applicant").count() == 1
    client.post(reverse("services:detail", args=[application.number]), {"action": "accept"})
    for code in ["MR", "PS", "TX", "BK"]:
        client.force_login(users[code])
        inbox = client.get(reverse("services:inbox")).content.decode()
        assert application.number in inbox
        part = application.parts.get(department__code=code)
        client.post(reverse("services:detail", args=[application.number]), {"action": "grant", "part": part.pk})
    application.refresh_from_db()
    assert application.state == State.DECIDED
    client.force_login(users["clerk"])
    client.post(reverse("services:detail", args=[application.number]), {"action": "deliver", "delivery": "electronic"})
    client.force_login(users["boss"])
    bad = client.post(reverse("services:detail", args=[application.number]), {"action": "rate", "grade": "1"})
    assert bad.status_code == 400
    client.post(reverse("services:detail", args=[application.number]), {"action": "rate", "grade": "5"})
    application.refresh_from_db()
    assert application.state == State.RATED and application.grade == 5


def test_statistics_page_and_export(client, setup):
    _, users = setup
    client.force_login(users["clerk"])
    page = client.get(reverse("services:statistics"))
    assert page.status_code == 200
    # the page says what it counts, as its export does
    assert f"数据范围：{selectors.statistics_scope_label(users['clerk'])}。" in page.content.decode()
    assert client.get(reverse("services:statistics") + "?year=abc").status_code == 200
    export = client.get(reverse("services:statistics") + "?format=xlsx")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    client.force_login(users["boss"])
    assert client.get(reverse("services:statistics")).status_code == 403


def test_api_masks_and_scopes(client, setup):
    catalogue, users = setup
    from gridgov.services import services

    application = services.submit_application(
        actor=users["clerk"],
        item=catalogue["items"]["TX-001"],
        applicant_name="王五",
        phone="13900001111",
        certificates=["licence"],
    )
    client.force_login(users["clerk"])
    body = client.get("/api/v1/services/applications").json()
    assert body["count"] == 1 and body["results"][0]["applicant_phone"] == "139****1111"
    client.force_login(users["MR"])
    assert client.get(f"/api/v1/services/applications/{application.number}").status_code == 404
    assert len(client.get("/api/v1/services/items").json()) == 5


def test_the_window_queue_puts_applications_to_check_first_on_every_database(setup):
    """An application still to be checked has no deadline; it comes before those already on the
    clock, which follow by deadline (SQLite and PostgreSQL sort NULL differently by default)."""
    from datetime import timedelta

    from django.utils import timezone

    from gridgov.services import selectors, services

    catalogue, users = setup
    made = [
        services.submit_application(
            actor=users["clerk"], item=catalogue["items"]["TX-001"], applicant_name=name, phone="13900001111"
        )
        for name in ("甲", "乙", "丙")
    ]
    now = timezone.now()
    Application.objects.filter(pk=made[0].pk).update(deadline=now + timedelta(days=3))
    Application.objects.filter(pk=made[1].pk).update(deadline=now + timedelta(days=1))
    queue = [application.pk for application in selectors.window_queue(users["clerk"]) if application.pk in {a.pk for a in made}]
    assert queue == [made[2].pk, made[1].pk, made[0].pk]
