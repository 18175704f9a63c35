"""An OpenAPI 3 description of the GeoReport v2 endpoints, served at /open311/v2/openapi.json.

GeoReport v2 predates OpenAPI and has no machine-readable description of its own; this one says
what gridgov really answers (status codes, content types, the JSON shapes), so that client
developers can generate code from it and the test suite can fuzz the endpoints against it
(tests/test_fuzz_api.py). Each resource is listed once per format: ``.json`` answers
``application/json``, ``.xml`` answers ``text/xml`` (errors included).
"""

from .renderers import CONTENT_TYPES

_NULLABLE_TEXT = {"type": ["string", "null"]}
_ERRORS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}
_SERVICE = {
    "type": "object",
    "required": ["service_code", "service_name", "metadata", "type"],
    "properties": {
        "service_code": {"type": "string"},
        "service_name": {"type": "string"},
        "description": {"type": "string"},
        "metadata": {"type": "boolean"},
        "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
        "keywords": {"type": "string"},
        "group": {"type": "string"},
    },
}
_DEFINITION = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "properties": {"service_code": {"type": "string"}, "attributes": {"type": "array"}},
}
_REQUEST = {
    "type": "object",
    "required": ["service_request_id", "status", "service_code", "requested_datetime"],
    "properties": {
        "service_request_id": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": {"type": "string"},
        "service_name": {"type": "string"},
        "service_code": {"type": "string"},
        "description": {"type": "string"},
        "agency_responsible": {"type": "string"},
        "service_notice": {"type": "string"},
        "requested_datetime": {"type": "string", "format": "date-time"},
        "updated_datetime": _NULLABLE_TEXT,
        "expected_datetime": {
            **_NULLABLE_TEXT,
            "description": "When the request should be handled (the moment the resident's case look-up shows): the "
            "handling deadline while it is with a handler and its clock runs; null before dispatch, while paused, and once handled.",
        },
        "address": {"type": "string"},
        "address_id": {"type": "string"},
        "zipcode": {"type": "string"},
        "lat": {"type": ["number", "null"]},
        "long": {"type": ["number", "null"]},
        "media_url": {"type": "string"},
        "extended_attributes": {"type": "object"},
        "notes": {"type": "array"},
    },
}
_TOKEN = {
    "type": "object",
    "required": ["token"],
    "properties": {"token": {"type": "string"}, "service_request_id": _NULLABLE_TEXT, "service_notice": {"type": "string"},
                   "account_id": _NULLABLE_TEXT},
}  # fmt: skip
_UPDATE = {
    "type": "object",
    "required": ["update_id", "service_request_id", "status", "updated_datetime"],
    "properties": {
        "update_id": {"type": "string"},
        "service_request_id": {"type": "string"},
        "status": {"type": "string", "enum": ["OPEN", "CLOSED"]},
        "updated_datetime": {"type": "string"},
        "description": {"type": "string"},
        "media_url": {"type": "string"},
        "external_status_code": {"type": "string"},
    },
}
_DISCOVERY = {"type": "object", "required": ["changeset", "endpoints"], "properties": {"endpoints": {"type": "array"}}}


def _array(item: dict) -> dict:
    return {"type": "array", "items": item}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema or {"type": "string"}}


def _path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


_DATES = [
    _query("start_date", "W3C datetime; with end_date at most 90 days apart (alone: the 90 days from it)"),
    _query("end_date", "W3C datetime; with start_date at most 90 days apart (alone: the 90 days up to it)"),
]
_PAGES = [
    _query("page", "page number, from 1", {"type": "integer"}),
    _query("page_size", "at most 1000", {"type": "integer"}),
]
_REQUESTS_QUERY = [
    _query("service_request_id", "comma-separated case numbers; overrides every other filter"),
    _query("service_code", "comma-separated service codes"),
    *_DATES,
    _query("status", "open, closed or both, comma-separated"),
    _query("updated_after", "W3C datetime"),
    _query("updated_before", "W3C datetime"),
    _query("extensions", "true adds extended_attributes and notes"),
    *_PAGES,
]
_POST_FORM = {
    "type": "object",
    "required": ["api_key", "service_code", "description"],
    "properties": {
        "api_key": {"type": "string"},
        "service_code": {"type": "string"},
        "lat": {"type": "string"},
        "long": {"type": "string"},
        "address_string": {"type": "string"},
        "address_id": {"type": "string"},
        "description": {"type": "string"},
        "email": {"type": "string"},
        "first_name": {"type": "string"},
        "last_name": {"type": "string"},
        "phone": {"type": "string"},
        "device_id": {"type": "string"},
        "account_id": {"type": "string"},
        "media_url": {"type": "string"},
    },
}


def _responses(fmt: str, ok: dict, ok_status: str, errors: tuple[str, ...]) -> dict:
    def body(schema: dict) -> dict:
        return {CONTENT_TYPES[fmt].split(";")[0]: {"schema": schema if fmt == "json" else {"type": "string"}}}

    responses = {ok_status: {"description": "OK", "content": body(ok)}}
    for status in errors:
        responses[status] = {"description": "a list of {code, description}", "content": body(_ERRORS)}
    return responses


def _get(fmt: str, summary: str, ok: dict, parameters: list, errors=("400", "404")) -> dict:
    return {"get": {"summary": summary, "parameters": parameters, "responses": _responses(fmt, ok, "200", errors)}}


def openapi_document(base: str = "/open311/v2/") -> dict:
    paths: dict = {}
    for fmt in ("json", "xml"):
        paths[f"{base}discovery.{fmt}"] = _get(fmt, "Discovery", _DISCOVERY, [], errors=())
        paths[f"{base}services.{fmt}"] = _get(fmt, "Service list", _array(_SERVICE), [], errors=())
        paths[f"{base}services/{{service_code}}.{fmt}"] = _get(
            fmt, "Service definition", _DEFINITION, [_path("service_code")], ("404",)
        )
        paths[f"{base}requests.{fmt}"] = {
            **_get(fmt, "Service requests", _array(_REQUEST), _REQUESTS_QUERY),
            "post": {
                "summary": "Create a service request (answered with a token; tokens/{token} gives its number)",
                "parameters": [_query("api_key", "the client's key; also accepted in the form")],
                "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": _POST_FORM}}},
                "responses": _responses(fmt, _array(_TOKEN), "201", ("400", "403", "404", "413", "429")),
            },
        }
        paths[f"{base}requests/{{service_request_id}}.{fmt}"] = _get(
            fmt,
            "One service request",
            _array(_REQUEST),
            [_path("service_request_id"), _query("extensions", "true for more")],
            ("404",),
        )
        paths[f"{base}tokens/{{token}}.{fmt}"] = _get(fmt, "The request a token stands for", _array(_TOKEN), [_path("token")])
        paths[f"{base}servicerequestupdates.{fmt}"] = _get(
            fmt, "Updates of requests", _array(_UPDATE), [*_DATES, *_PAGES], ("400",)
        )
    return {
        "openapi": "3.1.0",
        "info": {"title": "gridgov Open311 GeoReport v2", "version": "2"},
        "paths": paths,
    }
