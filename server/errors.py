"""Errors in OpenAI's JSON shape: ``{"error": {"message", "type", "param", "code"}}``.

Every refusal the server makes is an :class:`APIError`; the handlers installed by
:func:`install_handlers` turn it, FastAPI's validation errors and Starlette's HTTP errors
(unknown route, wrong method) into that shape. Runtime errors map by type: :func:`from_runtime`.
The OpenAPI schema documents them: a route lists its own refusals with :func:`error_responses`;
``install_handlers`` adds what every route may get (400 for a body or parameter that fails
validation, 401 without a valid key, 413 for an oversized body, 503 while warming up or draining)
and the bearer-key security scheme.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from qtts.runtime.errors import InputError, OverloadError, RequestTooLarge, TTSError

_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 403: "invalid_request_error", 404: "invalid_request_error",
          405: "invalid_request_error", 409: "invalid_request_error", 413: "invalid_request_error", 429: "rate_limit_error", 503: "server_error"}


_WHY = {
    400: "Invalid request: a field's value, a malformed body, an unknown voice",
    401: "Missing or invalid API key",
    403: "Not allowed for this key",
    404: "Not found (e.g. an unknown model)",
    409: "Conflict with an existing resource",
    413: "Request too large (body, input text, reference audio, frames asked)",
    429: "Over the key's request rate or concurrent streams; retry after Retry-After seconds",
    503: "Overloaded, warming up or shutting down; retry after Retry-After seconds",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying", "required": True, "schema": {"type": "integer", "minimum": 1}}}


class ErrorDetail(BaseModel):
    message: str
    type: str  # invalid_request_error | rate_limit_error | server_error
    param: str | None = None  # the request field at fault
    code: str | None = None  # e.g. invalid_value, model_not_found, queue_full


class ErrorBody(BaseModel):
    """OpenAI's error body: the JSON of every refusal."""

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of a route for its refusals: the OpenAI error body under each status
    (429 and 503 with their Retry-After header)."""
    return {
        s: {
            "description": _WHY[s],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
            **({"headers": _RETRY_AFTER} if s in (429, 503) else {}),
        }
        for s in statuses
    }


class APIError(Exception):
    """A refusal with its HTTP ``status``; ``retry_after_s`` adds a Retry-After header (429, 503)."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None, retry_after_s: float | None = None):
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.retry_after_s = status, message, param, code, retry_after_s

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": _TYPES.get(self.status, "server_error"), "param": self.param, "code": self.code}}

    def headers(self) -> dict[str, str]:
        out = {"WWW-Authenticate": "Bearer"} if self.status == 401 else {}
        if self.retry_after_s is not None:
            out["Retry-After"] = str(max(1, math.ceil(self.retry_after_s)))
        return out

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers())


def from_runtime(e: TTSError, param: str | None = None) -> APIError:
    """The API error for a runtime refusal: bad input 400, too large 413, overload 503 + Retry-After."""
    if isinstance(e, OverloadError):
        return APIError(503, str(e), code=e.reason, retry_after_s=e.retry_after_s)
    if isinstance(e, RequestTooLarge):
        return APIError(413, str(e), param=param, code="request_too_large")
    if isinstance(e, InputError):
        return APIError(400, str(e), param=param, code="invalid_value")
    return APIError(500, str(e), code="internal_error")


def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"msg": "invalid request", "loc": ()}
    if first.get("type") == "json_invalid":
        return APIError(400, "malformed JSON body", code="invalid_json").response()
    loc = [str(p) for p in first.get("loc", ()) if p != "body"]
    where = f"{'.'.join(loc)}: " if loc else ""
    return APIError(400, where + str(first.get("msg", "invalid value")), param=loc[0] if loc else None, code="invalid_value").response()


def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    response = APIError(exc.status_code, str(exc.detail), code="not_found" if exc.status_code == 404 else None).response()
    response.headers.update(exc.headers or {})  # e.g. Allow on 405
    return response


def _api(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, APIError)
    return exc.response()


def install_handlers(app: FastAPI, open_routes: Collection[str] = ()) -> None:
    """Make every error response of ``app`` OpenAI-shaped and document them in its OpenAPI schema
    (``open_routes``: the paths that need no key)."""
    app.add_exception_handler(APIError, _api)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            app.openapi_schema = _form_parts(document_errors(schema, open_routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _form_parts(schema: dict[str, Any]) -> dict[str, Any]:
    """A multipart/form-data part is present or absent, never JSON null: FastAPI's ``anyOf [T, null]``
    for an optional form field or file becomes ``T`` (so clients see a file as a file)."""
    schemas = schema.get("components", {}).get("schemas", {})
    for operations in schema.get("paths", {}).values():
        for op in operations.values():
            form = op.get("requestBody", {}).get("content", {}).get("multipart/form-data", {}).get("schema", {})
            body = schemas.get(form.get("$ref", "").rpartition("/")[2], form)
            for name, prop in body.get("properties", {}).items():
                kinds = [k for k in prop.get("anyOf", ()) if k != {"type": "null"}]
                if len(kinds) == 1 and len(kinds) < len(prop["anyOf"]):
                    body["properties"][name] = {**{k: v for k, v in prop.items() if k != "anyOf"}, **kinds[0]}
    return schema


def document_errors(schema: dict[str, Any], open_routes: Collection[str]) -> dict[str, Any]:
    """FastAPI's OpenAPI ``schema`` with the errors every route may get (see the module docstring)
    in place of FastAPI's 422, which this server never sends; modified in place and returned."""
    components = schema.setdefault("components", {})
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = components.setdefault("schemas", {})
    schemas.update(body.pop("$defs"), ErrorBody=body)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer", "description": "An API key of this server"}}
    for path, operations in schema.get("paths", {}).items():
        for op in operations.values():
            responses = op.setdefault("responses", {})
            statuses = [400] if responses.pop("422", None) is not None else []
            statuses += [413] if "requestBody" in op else []
            if path not in open_routes:
                op["security"] = [{"bearer": []}]
                statuses += [401, 503]
            for status, entry in error_responses(*statuses).items():
                responses.setdefault(str(status), entry)
    return schema
