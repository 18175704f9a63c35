"""Error pages speak the user's language inside the site's frame (404, 403, 500; 400 is tested
with the request limits), and the 500 page renders without touching the database."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils import translation
from django.views import defaults

from tests.case_factories import make_user


@pytest.fixture
def clerk_client(client, network):
    client.force_login(make_user("intake_clerk"))
    return client


def test_a_missing_case_is_a_framed_chinese_404(clerk_client, settings):
    settings.DEBUG = False
    response = clerk_client.get("/cases/2099000000000001/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in body
    assert 'class="topbar"' in body and 'lang="zh-hans"' in body
    assert "Not Found" not in body


def test_the_404_is_english_in_english_mode(clerk_client, settings):
    settings.DEBUG = False
    clerk_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = clerk_client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_the_403_is_framed_and_chinese():
    request = RequestFactory().get("/somewhere/")
    with translation.override("zh-hans"):
        response = defaults.permission_denied(request, PermissionDenied())
    body = response.content.decode()
    assert response.status_code == 403
    assert "无权访问" in body and 'class="topbar"' in body


def test_the_500_renders_in_the_frame_without_the_database(django_assert_num_queries, db):
    request = RequestFactory().get("/broken/")
    with translation.override("zh-hans"), django_assert_num_queries(0):
        response = defaults.server_error(request)
    body = response.content.decode()
    assert response.status_code == 500
    assert "出错了" in body and 'class="topbar"' in body
    assert "favicon.svg" in body
