"""Rectification of a bad rating: the department replies to the applicant, then records the
return visit, which closes the task; unrectified tasks past their 15 working days are flagged.
Each step is audited through the one audit path, on the pages and through the JSON API alike."""

import pytest
from django.urls import reverse

from gridgov.accounts.models import AuditEvent
from gridgov.services import selectors, services
from gridgov.services.models import ApplicationStep, Rectification
from gridgov.services.workflow import NotAllowed, ServiceError

from .test_services_workflow import _media, _rated, at, catalogue, people  # noqa: F401  (fixtures)


@pytest.fixture
def tasks(catalogue, people, network):
    """A 'dissatisfied' rating on Thu 24 Sep 2026: four tasks, due Thu 22 Oct 2026 10:00."""
    application = _rated(catalogue, people, network, 2, "窗口排队太久")
    return {r.department.code: r for r in Rectification.objects.filter(application=application).select_related("department")}


def test_reply_then_return_visit_closes_the_task_and_audits_each_step(tasks, people):
    tax = tasks["TX"]
    services.reply_rectification(actor=people["TX"], rectification=tax, reply=" 已增设发票窗口 ", now=at(2026, 10, 9, 9, 0))
    services.record_return_visit(actor=people["TX"], rectification=tax, note="申请人认可", now=at(2026, 10, 9, 10, 0))
    tax.refresh_from_db()
    assert tax.reply == "已增设发票窗口" and tax.replied_at == at(2026, 10, 9, 9, 0)
    assert tax.return_visit == "申请人认可" and tax.closed_at == at(2026, 10, 9, 10, 0)
    audited = list(AuditEvent.objects.filter(action__startswith="services.rectification_").values_list("action", "actor_id"))
    assert ("services.rectification_reply", people["TX"].pk) in audited
    assert ("services.rectification_closed", people["TX"].pk) in audited
    steps = ApplicationStep.objects.filter(application=tax.application, action__in=["rectification_reply", "return_visit"])
    assert [s.action for s in steps] == ["rectification_reply", "return_visit"]
    with pytest.raises(ServiceError, match="already closed"):
        services.reply_rectification(actor=people["TX"], rectification=tax, reply="再次答复")


def test_only_the_department_and_the_window_in_scope_may_work_a_task(tasks, people):
    with pytest.raises(NotAllowed, match="another department"):
        services.reply_rectification(actor=people["MR"], rectification=tasks["TX"], reply="不是我们的")
    for role in ("applicant", "west"):
        with pytest.raises(NotAllowed):
            services.reply_rectification(actor=people[role], rectification=tasks["TX"], reply="x")
    services.reply_rectification(actor=people["clerk"], rectification=tasks["TX"], reply="窗口代为答复")
    assert not Rectification.objects.filter(department__code="MR", replied_at__isnull=False).exists()


def test_empty_or_overlong_text_is_refused_and_nothing_is_written(tasks, people):
    before = AuditEvent.objects.count()
    with pytest.raises(ServiceError, match="write the reply"):
        services.reply_rectification(actor=people["TX"], rectification=tasks["TX"], reply="   ")
    with pytest.raises(ServiceError, match="too long"):
        services.reply_rectification(actor=people["TX"], rectification=tasks["TX"], reply="长" * 2001)
    with pytest.raises(ServiceError, match="before the return visit"):
        services.record_return_visit(actor=people["TX"], rectification=tasks["TX"], note="回访")
    tasks["TX"].refresh_from_db()
    assert tasks["TX"].replied_at is None and AuditEvent.objects.count() == before


def test_the_list_flags_unrectified_tasks_past_their_due_time(tasks, people):
    services.reply_rectification(actor=people["TX"], rectification=tasks["TX"], reply="已整改", now=at(2026, 10, 9, 9, 0))
    services.record_return_visit(actor=people["TX"], rectification=tasks["TX"], note="认可", now=at(2026, 10, 9, 10, 0))
    before_due, after_due = at(2026, 10, 22, 9, 59), at(2026, 10, 22, 10, 1)
    assert not any(r.overdue for r in selectors.rectification_list(people["clerk"], "all", before_due))
    late = selectors.rectification_list(people["clerk"], "overdue", after_due)
    assert sorted(r.department.code for r in late) == ["BK", "MR", "PS"] and all(r.overdue for r in late)
    assert [r.department.code for r in selectors.rectification_list(people["clerk"], "closed", after_due)] == ["TX"]
    assert [r.department.code for r in selectors.rectification_list(people["TX"], "all", after_due)] == ["TX"]
    assert not selectors.rectification_list(people["applicant"], "all").exists()


def test_the_pages_reply_and_record_the_visit_and_the_applicant_reads_the_reply(client, tasks, people):
    tax = tasks["TX"]
    client.force_login(people["TX"])
    listing = client.get(reverse("services:rectifications")).content.decode()
    assert tax.application.number in listing and 'data-testid="overdue"' in listing  # due 22 Oct 2026, long past
    page = reverse("services:rectification", args=[tax.pk])
    early = client.post(page, {"action": "return_visit", "note": "先回访"})
    assert early.status_code == 400 and "请先答复申请人，再进行回访。" in early.content.decode()
    empty = client.post(page, {"action": "reply", "reply": "  "})
    assert empty.status_code == 400 and "请填写给申请人的答复。" in empty.content.decode()
    long = client.post(page, {"action": "reply", "reply": "长" * 2001})
    assert long.status_code == 400 and "长" * 2001 in long.content.decode()  # the form keeps what was typed
    assert client.post(page, {"action": "reply", "reply": "已增设发票窗口"}).status_code == 302
    unsaid = client.post(page, {"action": "return_visit", "note": "  "})
    assert unsaid.status_code == 400 and 'role="alert"' in unsaid.content.decode()
    assert client.post(page, {"action": "return_visit", "note": "申请人认可"}).status_code == 302
    closed = client.get(page).content.decode()
    assert "申请人认可" in closed and "超期后整改" in closed
    assert client.get(reverse("services:rectification", args=[tasks["MR"].pk])).status_code == 404
    client.force_login(people["applicant"])
    detail = client.get(reverse("services:detail", args=[tax.application.number])).content.decode()
    assert "已增设发票窗口" in detail and "handler_TX" not in detail
    assert client.get(reverse("services:rectifications")).status_code == 403


def test_the_api_lists_replies_and_closes_within_scope(client, tasks, people):
    tax = tasks["TX"]
    client.force_login(people["TX"])
    listed = client.get("/api/v1/services/rectifications?status=overdue").json()
    assert listed["count"] == 1 and listed["results"][0]["application"] == tax.application.number
    assert listed["results"][0]["overdue"] is True
    assert client.get("/api/v1/services/rectifications?status=late").status_code == 400
    base = f"/api/v1/services/rectifications/{tax.pk}"
    assert client.post(f"{base}/reply", {"reply": " "}, content_type="application/json").status_code == 400
    replied = client.post(f"{base}/reply", {"reply": "已整改"}, content_type="application/json")
    assert replied.status_code == 200 and replied.json()["reply"] == "已整改"
    closed = client.post(f"{base}/return-visit", {"note": "认可"}, content_type="application/json").json()
    assert closed["closed_at"] is not None and closed["overdue"] is False
    other = f"/api/v1/services/rectifications/{tasks['MR'].pk}/reply"
    assert client.post(other, {"reply": "x"}, content_type="application/json").status_code == 404
    assert client.get(f"/api/v1/services/rectifications/{2**70}").status_code in (404, 422)
    assert AuditEvent.objects.filter(action="services.rectification_closed", actor=people["TX"]).count() == 1
    client.force_login(people["applicant"])
    assert client.get("/api/v1/services/rectifications").status_code == 403
