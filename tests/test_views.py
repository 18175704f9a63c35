"""The HTML pages of the grid network: login, language, map page and unit pages."""

from pathlib import Path

import pytest
from django.urls import reverse

import gridgov
from gridgov.grids.models import GridStaff, Region, StaffRole

from .factories import DISTRICT, WEST_GRID

PASSWORD = "pw-for-tests-only"
WEST_COMMUNITY = WEST_GRID[:12]


def test_pages_require_login(client, network):
    for url in (reverse("grids:map"), reverse("grids:detail", args=[WEST_GRID])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")


def test_login_form_logs_in_and_lands_on_the_map(client, staff_user):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()

    response = client.post(reverse("login"), {"username": "dispatcher", "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("grids:map")
    assert response.context["user"].username == "dispatcher"


def test_login_refuses_a_wrong_password(client, staff_user):
    response = client.post(reverse("login"), {"username": "dispatcher", "password": "wrong"})
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated


def test_logout_is_a_post_form(staff_client):
    page = staff_client.get(reverse("grids:map")).content.decode()
    assert f'method="post" action="{reverse("logout")}"' in page

    staff_client.post(reverse("logout"))

    assert staff_client.get(reverse("grids:map")).status_code == 302


def test_map_page_is_chinese_by_default_and_english_after_switching(staff_client, network):
    # An English browser still gets Chinese until the user picks English with the switcher.
    chinese = staff_client.get(reverse("grids:map"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in chinese
    assert "网格地图" in chinese and "按编码或名称搜索" in chinese and "退出登录" in chinese
    assert "派遣员" in chinese  # the user's role

    switched = staff_client.post(reverse("set_language"), {"language": "en", "next": reverse("grids:map")})
    assert switched.status_code == 302

    english = staff_client.get(reverse("grids:map"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert '<html lang="en">' in english
    assert "Grid map" in english and "Search by code or name" in english and "Log out" in english
    assert "网格地图" not in english


def test_map_page_hands_the_api_and_tiles_to_the_script(staff_client, network, settings):
    settings.GRIDGOV_TILE_URL = "https://t{s}.example.test/tiles/{z}/{x}/{y}.png"
    page = staff_client.get(reverse("grids:map"))
    config = page.context["map_config"]

    assert config["apiBase"] == "/api/v1/"
    assert config["tileUrl"] == settings.GRIDGOV_TILE_URL
    assert config["detailUrl"].replace(config["codePlaceholder"], WEST_GRID) == reverse("grids:detail", args=[WEST_GRID])
    assert 'id="map-config"' in page.content.decode()
    assert "leaflet-1.9.4/leaflet.js" in page.content.decode()


def test_sample_badge_follows_the_network(staff_client, network):
    assert "样例数据" not in staff_client.get(reverse("grids:map")).content.decode()

    network[DISTRICT].is_sample = True
    network[DISTRICT].save()

    assert "样例数据" in staff_client.get(reverse("grids:map")).content.decode()


def test_grid_page_shows_code_staff_masked_phones_party_and_centres(staff_client, network):
    response = staff_client.get(reverse("grids:detail", args=[WEST_GRID]))
    page = response.content.decode()

    assert response.status_code == 200
    assert WEST_GRID in page and "西一网格" in page
    assert "网格长1" in page and "网格员1" in page
    assert "138****5678" in page and "13812345678" not in page
    assert "西一网格党支部" in page and "书记1" in page and "党员1" in page
    assert "西社区党群服务中心" in page and "市级示范点" in page
    assert "西街道党群服务中心" in page and "省级示范点" in page
    for ancestor in (DISTRICT, WEST_GRID[:9], WEST_COMMUNITY):
        assert f'href="{reverse("grids:detail", args=[ancestor])}"' in page
    # 0.01° × 0.02° near 41.79° N is about 0.83 km × 2.22 km
    area_km2 = network[WEST_GRID].area_m2 / 1e6
    assert 1.7 < area_km2 < 2.0
    assert f"{area_km2:.4f}".rstrip("0") in page


def test_grid_page_is_english_when_asked(staff_client, network):
    staff_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = staff_client.get(reverse("grids:detail", args=[WEST_GRID])).content.decode()
    assert "Grid staff" in page and "Grid chief" in page and "Municipal demonstration" in page


def test_community_page_shows_totals_and_children(staff_client, network):
    network[WEST_GRID].households = 120
    network[WEST_GRID].residents = 300
    network[WEST_GRID].save()

    response = staff_client.get(reverse("grids:detail", args=[WEST_COMMUNITY]))
    page = response.content.decode()

    assert response.status_code == 200
    assert response.context["unit"]["totals"] == {"grids": 2, "households": 120, "residents": 300}
    assert "西社区" in page
    for child in (WEST_GRID, WEST_COMMUNITY + "002"):
        assert f'href="{reverse("grids:detail", args=[child])}" data-code="{child}"' in page
    assert "210199002001001" not in page  # a grid of the other community


def test_unknown_code_is_a_friendly_404(staff_client, network):
    response = staff_client.get(reverse("grids:detail", args=["210199001001999"]))
    assert response.status_code == 404
    assert "210199001001999" in response.content.decode()
    assert "没有该单元" in response.content.decode()


@pytest.mark.parametrize("code", ["12345", "21019900100100x", "210199000"])
def test_malformed_code_is_a_friendly_400(staff_client, network, code):
    response = staff_client.get(reverse("grids:detail", args=[code]))
    assert response.status_code == 400
    page = response.content.decode()
    assert "不是有效的区划编码" in page and code in page


def test_grid_page_query_count_does_not_grow_with_staff(staff_client, network, django_assert_max_num_queries):
    # session, user, the grid with ancestors and party organisation, staff, members, children, totals, centres,
    # the community service point's items
    with django_assert_max_num_queries(9):
        staff_client.get(reverse("grids:detail", args=[WEST_GRID]))

    for number in range(20):
        GridStaff.objects.create(grid=network[WEST_GRID], role=StaffRole.SUPERVISOR, name=f"监督员{number}", phone="13700000000")

    with django_assert_max_num_queries(9):
        page = staff_client.get(reverse("grids:detail", args=[WEST_GRID])).content.decode()
    assert "监督员19" in page


def test_community_page_query_count_is_bounded(staff_client, network, django_assert_max_num_queries):
    # session, user, the community with its ancestors, children, totals
    with django_assert_max_num_queries(5):
        staff_client.get(reverse("grids:detail", args=[WEST_COMMUNITY]))


def test_the_chinese_catalogue_is_complete_and_compiled():
    polib = pytest.importorskip("polib")
    messages = Path(gridgov.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"
    po = polib.pofile(str(messages / "django.po"))

    def text(entry):
        return dict(entry.msgstr_plural) if entry.msgid_plural else entry.msgstr

    compiled = {(entry.msgctxt, entry.msgid): text(entry) for entry in polib.mofile(str(messages / "django.mo"))}

    assert [entry.msgid for entry in po if not entry.translated() or "fuzzy" in entry.flags] == []
    assert {(entry.msgctxt, entry.msgid): text(entry) for entry in po if not entry.obsolete} == compiled


def test_map_opens_on_the_users_own_unit(client, network, django_user_model):
    street_staff = django_user_model.objects.create_user(
        "street", role="street_staff", region=Region.objects.get(code="210199002")
    )
    grid_worker = django_user_model.objects.create_user("worker", role="grid_worker", region=Region.objects.get(code=WEST_GRID))
    client.force_login(street_staff)
    assert client.get(reverse("grids:map")).context["map_config"]["homeCode"] == "210199002"
    client.force_login(grid_worker)
    assert client.get(reverse("grids:map")).context["map_config"]["homeCode"] == "210199001001"


@pytest.mark.django_db
def test_the_bench_write_endpoint_exists_only_where_the_bench_turned_it_on(client, settings):
    from gridgov.accounts.models import AuditEvent

    settings.GRIDGOV_BENCH_ENDPOINTS = False
    assert client.post("/bench/write", {"description": "x"}).status_code == 404
    assert client.get("/bench/write").status_code == 404
    assert not AuditEvent.objects.filter(action="ops.bench_write").exists()
    settings.GRIDGOV_BENCH_ENDPOINTS = True
    assert client.get("/bench/write").status_code == 405
    assert client.post("/bench/write", {"description": "x"}).status_code == 201
    assert AuditEvent.objects.filter(action="ops.bench_write").count() == 1
