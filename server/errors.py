"""Errors in OpenAI's JSON shape: ``{"error": {"message", "type", "param", "code"}}``.

Every refusal the server makes is an :class:`APIError`; the handlers installed by
:func:`install_handlers` turn it, FastAPI's validation errors and Starlette's HTTP errors
(unknown route, wrong method) into that shape. Runtime errors map by type: :func:`from_runtime`.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from runtime.errors import InputError, OverloadError, RequestTooLarge, TTSError

_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 403: "invalid_request_error", 404: "invalid_request_error",
          405: "invalid_request_error", 409: "invalid_request_error", 413: "invalid_request_error", 429: "rate_limit_error", 503: "server_error"}


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
    return APIError(exc.status_code, str(exc.detail), code="not_found" if exc.status_code == 404 else None).response()


def _api(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, APIError)
    return exc.response()


def install_handlers(app: FastAPI) -> None:
    """Make every error response of ``app`` OpenAI-shaped."""
    app.add_exception_handler(APIError, _api)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
