from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path

from gridgov.api import api
from gridgov.cases.urls import public_urls as case_public_urls
from gridgov.evaluation.views import home as evaluation_home
from gridgov.ops.views import durable_write_floor


def healthz(request):
    """Liveness for load balancers, and the ceiling of the stack in `gridgov bench intake`."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("bench/write", durable_write_floor, name="bench-write"),
    path("", evaluation_home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("gridgov.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("grids/", include("gridgov.grids.urls")),
    path("cases/", include("gridgov.cases.urls")),
    path("evaluation/", include("gridgov.evaluation.urls")),
    path("report/", include(case_public_urls)),
    path("open311/v2/", include("gridgov.open311.urls")),
    path("projects/", include("gridgov.projects.urls")),
    path("economy/", include("gridgov.economy.urls")),
    path("services/", include("gridgov.services.urls")),
    path("jobs/", include("gridgov.ops.urls")),
]
