"""Errors → HTTP: the product's AppError classes map to status codes by walking the MRO;
request validation errors are translated to Italian; no stack trace ever reaches a client."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from archive.errors import DatabaseNonDisponibile, ErroreDatabase, SchemaNonAggiornato, StorageError, riclassifica
from domain.errors import AppError, Conflict, NotFound, RuleViolation, ValidationFailed, from_pydantic
from renderers.errors import RenderError

log = logging.getLogger("curit.api")

STATUS_BY_CLASS: dict[type[AppError], int] = {
    RuleViolation: 422,
    NotFound: 404,
    Conflict: 409,
    RenderError: 500,
    DatabaseNonDisponibile: 503,
    SchemaNonAggiornato: 500,
    ErroreDatabase: 500,
    StorageError: 503,
    AppError: 500,
}

HTTP_IT = {
    400: "Richiesta non valida.",
    401: "Autenticazione richiesta.",
    403: "Operazione non consentita per questo utente.",
    404: "Risorsa non trovata.",
    405: "Metodo non consentito.",
    413: "Richiesta troppo grande.",
    415: "Formato della richiesta non supportato.",
}


def status_for(exc: AppError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_CLASS:
            return STATUS_BY_CLASS[cls]
    return 500


def _body(exc: AppError) -> dict:
    errori = exc.as_list() if isinstance(exc, ValidationFailed) else [exc.as_dict()]
    return {"errori": errori}


def _console(request: Request) -> bool:
    """Console pages answer errors with a styled Italian page; API paths keep JSON."""
    path = request.url.path
    if request.headers.get("accept", "").startswith("application/json"):  # the console's own fetch() calls
        return False
    return path == "/" or path.startswith("/console") or path.startswith("/static/")


def _pagina_errore(request: Request, status: int, messaggio: str, headers=None):
    from service.console.errori import pagina_errore

    return pagina_errore(request, status, messaggio, headers=headers)


def install(app: FastAPI, *, max_body: int) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError):
        exc = riclassifica(exc) or exc  # a database failure is never "archive unavailable"
        status = status_for(exc)
        if status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc, exc_info=exc.__cause__ or exc)
        if _console(request):
            return _pagina_errore(request, status, exc.message)
        return JSONResponse(_body(exc), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError):
        class _Wrap:  # from_pydantic reads .errors(include_url=False)
            def errors(self, include_url: bool = False):
                return exc.errors()

        failed = from_pydantic(_Wrap())
        if _console(request):
            return _pagina_errore(request, 422, " ".join(e["messaggio"] for e in _body(failed)["errori"]))
        return JSONResponse(_body(failed), status_code=422)

    @app.exception_handler(ValidationError)
    async def _pydantic(request: Request, exc: ValidationError):
        return JSONResponse(_body(from_pydantic(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        default_phrase = HTTPStatus(exc.status_code).phrase if exc.status_code in HTTPStatus._value2member_map_ else ""
        custom = isinstance(exc.detail, str) and exc.detail != default_phrase
        message = exc.detail if custom else HTTP_IT.get(exc.status_code, "Errore.")
        headers = getattr(exc, "headers", None)
        if _console(request) and exc.status_code >= 400:
            return _pagina_errore(request, exc.status_code, message, headers=headers)
        return JSONResponse({"errori": [{"campo": "", "loc": [], "messaggio": message}]},
                            status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        errore = riclassifica(exc)
        if errore is not None:
            return await _app_error(request, errore)
        log.exception("Errore non gestito su %s %s", request.method, request.url.path)
        if _console(request):
            return _pagina_errore(request, 500, "Errore interno: l'operazione non è stata eseguita. Riprovare; "
                                               "se il problema continua, segnalarlo all'amministratore del sistema.")
        return JSONResponse({"errori": [{"campo": "", "loc": [], "messaggio": "Errore interno."}]}, status_code=500)

    @app.middleware("http")
    async def _limit_body(request: Request, call_next):
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > max_body):
            return JSONResponse({"errori": [{"campo": "", "loc": [], "messaggio": HTTP_IT[413]}]}, status_code=413)
        return await call_next(request)
