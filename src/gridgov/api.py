"""The JSON API under /api/v1/, one ninja router per app; OpenAPI at /api/docs."""

from ninja import NinjaAPI
from ninja.security import django_auth

from gridgov.cases.api import router as cases_router
from gridgov.economy.api import router as economy_router
from gridgov.grids.api import router as grids_router
from gridgov.projects.api import router as projects_router

api = NinjaAPI(
    title="gridgov API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    auth=django_auth,
)
api.add_router("/v1/", grids_router)
api.add_router("/v1/cases/", cases_router)
api.add_router("/v1/projects/", projects_router)
api.add_router("/v1/economy/", economy_router)
