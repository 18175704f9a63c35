"""The JSON API under /api/v1/, one ninja router per app; OpenAPI at /api/docs.

The OpenAPI document says what the API really answers (tests/test_fuzz_api.py fuzzes every
operation against it): besides each operation's own responses, ninja itself answers 401 to a
request without a session, 403 to an unsafe request without the CSRF token, and 422 to
parameters or a body that do not fit the declared types; and the ``.geojson`` operations answer
``application/geo+json``. ``GridgovAPI`` adds those to every operation rather than repeating
them on each route.
"""

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import django_auth

from gridgov.cases.api import router as cases_router
from gridgov.economy.api import router as economy_router
from gridgov.evaluation.api import router as evaluation_router
from gridgov.grids.api import router as grids_router
from gridgov.projects.api import router as projects_router
from gridgov.services.api import router as services_router

_DETAIL = {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}}
_VALIDATION = {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "array", "items": {"type": "object"}}}}
_UNSAFE = {"post", "put", "patch", "delete"}
_TOO_LARGE = "The request body is larger than this server accepts."


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


class GridgovAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                if operation.get("security"):
                    responses.setdefault(401, _json("Not signed in", _DETAIL))
                    if method in _UNSAFE:
                        responses.setdefault(403, _json("Not allowed, or the CSRF token is missing", _DETAIL))
                if operation.get("requestBody"):
                    responses.setdefault(413, _json(_TOO_LARGE, _DETAIL))
                if operation.get("parameters") or operation.get("requestBody"):
                    responses.setdefault(422, _json("A parameter or the body does not fit its declared type", _VALIDATION))
                if path.endswith(".geojson"):  # the features; errors stay application/json
                    for status, response in responses.items():
                        content = response.get("content", {}) if str(status).startswith("2") else {}
                        if "application/json" in content:
                            content["application/geo+json"] = content.pop("application/json")
        return schema


api = GridgovAPI(
    title="gridgov API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    auth=django_auth,
)


def _body_too_large(request: HttpRequest, error: Exception | type[Exception]) -> HttpResponse:
    """Django refuses an oversized body while ninja reads it: answer in JSON, not Django's HTML."""
    if isinstance(error, TooManyFieldsSent):
        return api.create_response(request, {"detail": "The request has more fields than this server accepts."}, status=400)
    return api.create_response(request, {"detail": _TOO_LARGE}, status=413)


api.add_exception_handler(RequestDataTooBig, _body_too_large)
api.add_exception_handler(TooManyFieldsSent, _body_too_large)
api.add_router("/v1/", grids_router)
api.add_router("/v1/cases/", cases_router)
api.add_router("/v1/evaluation/", evaluation_router)
api.add_router("/v1/projects/", projects_router)
api.add_router("/v1/economy/", economy_router)
api.add_router("/v1/services/", services_router)
