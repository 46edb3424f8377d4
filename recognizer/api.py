"""The JSON API, version 1, on django-ninja (contract in README "API").

Ninja gives the routing, the schemas, the OpenAPI document (``/api/v1/openapi.json``), the
interactive docs (``/api/v1/docs``, from ninja's own static files, no CDN), auth and
throttling. What is ours: every error is ``{"error": ...}``, a body over the route's cap is
refused before a byte of it is read, and a 405 is JSON with ``Allow``.
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import RequestDataTooBig
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import URLPattern, path, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.security import APIKeyCookie, APIKeyHeader
from ninja.throttling import SimpleRateThrottle
from pydantic import StrictInt

from recognizer import history, preprocessing
from recognizer.db import CASSANDRA_ERRORS
from recognizer.inference import ModelUnavailable
from recognizer.presenters import prediction_json, prediction_result_json
from recognizer.records.selectors import MAX_PAGE_SIZE, PAGE_SIZE, InvalidCursor, history_page
from recognizer.records.writer import RecordNotKept
from recognizer.services import prediction_create
from recognizer.tokens import user_for_token

# A 280x280 canvas at 3x device pixels is well under 200 KB as PNG.
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_BATCH_BYTES = 16 * 1024 * 1024
# Everything else (feedback) is a few bytes of JSON.
MAX_SMALL_BODY_BYTES = 64 * 1024
BODY_LIMITS = {"predict": MAX_BODY_BYTES, "predict-batch": MAX_BATCH_BYTES}

LOGIN_HINT = (
    "Log in, or send `Authorization: Token <key>` (python manage.py api_token USERNAME prints one)."
)


# --- Authentication ----------------------------------------------------------------------


class TokenAuth(APIKeyHeader):
    """``Authorization: Token <key>``: a script holds the key, not the browser, so no CSRF.
    A header that is present but wrong is a 401 even with a session, never a fallback."""

    param_name = "Authorization"

    def authenticate(self, request: HttpRequest, key: str | None):
        if not key:
            return None
        scheme, _, value = key.partition(" ")
        if scheme.lower() != "token":
            raise AuthenticationError(401, "Send the API key as 'Authorization: Token <key>'.")
        user = user_for_token(value.strip())
        if user is None:
            raise AuthenticationError(401, "Invalid API token.")
        request.user = user
        request.auth_method = "token"
        return user


class _CsrfCheck(CsrfViewMiddleware):
    """Django's own CSRF check, answering with the reason instead of its HTML page."""

    def _reject(self, request: HttpRequest, reason: str) -> str:  # type: ignore[override]
        return reason


class SessionAuth(APIKeyCookie):
    """The browser's session. It is an ambient credential, so a request that relies on it
    and changes something must pass Django's CSRF check, as any form would."""

    param_name = "sessionid"

    def __call__(self, request: HttpRequest):
        if "Authorization" in request.headers or not request.user.is_authenticated:
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            check = _CsrfCheck(lambda _request: HttpResponse())
            check.process_request(request)
            reason = check.process_view(request, None, (), {})
            if reason:
                raise HttpError(403, f"CSRF check failed: {reason}")
        request.auth_method = "session"
        return request.user

    def _get_key(self, request: HttpRequest) -> str | None:  # pragma: no cover - unused
        return None

    def authenticate(self, request: HttpRequest, key: str | None):  # pragma: no cover
        return None


# --- Rate limit --------------------------------------------------------------------------


class PredictionThrottle(SimpleRateThrottle):
    """Predictions per user, ``settings.MNIST_PREDICT_RATE`` (60/m: a sliding minute, so a
    burst of up to 60 passes at once). Staff are exempt (benchmarks, fault tests). The
    history lives in the ``throttle`` cache, shared by every worker process.

    Ninja keeps one throttle object per operation and its ``SimpleRateThrottle`` keeps the
    request's key and history on ``self``: under gunicorn's threaded workers two requests
    could mix them up. So the state stays in locals, and the wait for ``Retry-After`` in a
    thread-local. (Two processes can still both read the same history and each add one: a
    lost update lets a request or two more through, never fewer.)"""

    scope = "predict"
    _local = threading.local()

    def __init__(self) -> None:
        # The rate is read per request, not at import, so settings can change it.
        self.rate = None

    @property
    def cache(self):  # type: ignore[override]
        return caches["throttle"]

    def allow_request(self, request: HttpRequest) -> bool:
        self._local.wait = None
        if request.auth.is_staff:
            return True
        count, duration = self.parse_rate(settings.MNIST_PREDICT_RATE)
        key = f"throttle_predict_{request.auth.pk}"
        now = time.time()
        # Newest first, so the oldest request still in the window is last.
        history = [moment for moment in self.cache.get(key, []) if moment > now - duration]
        if len(history) >= count:
            self._local.wait = duration - (now - history[-1])
            return False
        self.cache.set(key, [now, *history], duration)
        return True

    def wait(self) -> float | None:
        return self._local.wait


# --- The API and its errors ----------------------------------------------------------------

api = NinjaAPI(
    title="mnistsite API",
    version="1",
    description="Draw a digit, get it recognised, and keep your own history.",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
)


def json_error(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> JsonResponse:
    message = exc.message if exc.message != "Unauthorized" else LOGIN_HINT
    return json_error(401, message, WWW_Authenticate='Token realm="api"')


@api.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> JsonResponse:
    # Ninja adds Retry-After (whole seconds) to this answer.
    wait = f" Try again in {math.ceil(exc.wait)} s." if exc.wait else ""
    return json_error(429, f"Too many predictions: at most {settings.MNIST_PREDICT_RATE}.{wait}")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> JsonResponse:
    return json_error(exc.status_code, exc.message)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> JsonResponse:
    problems = []
    for error in exc.errors:
        loc = tuple(error.get("loc", ()))
        if loc[:1] == ("body",) and len(loc) > 2:
            loc = loc[2:]  # ("body", <the view's parameter>, "label") -> "label"
        where = ".".join(str(part) for part in loc if part not in ("body", "query"))
        problems.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return json_error(400, "; ".join(problems) or "The request is not valid.")


@api.exception_handler(preprocessing.ImageError)
def _bad_image(request: HttpRequest, exc: preprocessing.ImageError) -> JsonResponse:
    return json_error(history.IMAGE_ERROR_STATUS.get(type(exc), 400), str(exc))


@api.exception_handler(ModelUnavailable)
@api.exception_handler(RecordNotKept)
def _unavailable(request: HttpRequest, exc: Exception) -> JsonResponse:
    return json_error(503, str(exc))


def _cassandra_unavailable(request: HttpRequest, exc: Exception) -> JsonResponse:
    # Reads (history, one record) have no outbox to fall back on: say so, never a 500.
    return json_error(503, "Your history cannot be read right now; please try again soon.")


for _error in CASSANDRA_ERRORS:
    api.add_exception_handler(_error, _cassandra_unavailable)


@api.exception_handler(history.PredictionNotFound)
def _not_found(request: HttpRequest, exc: history.PredictionNotFound) -> JsonResponse:
    return json_error(404, "No such prediction.")


@api.exception_handler(InvalidCursor)
def _bad_cursor(request: HttpRequest, exc: InvalidCursor) -> JsonResponse:
    return json_error(400, str(exc))


# --- Schemas (the OpenAPI document's view of the JSON) -----------------------------------


class PredictionOut(Schema):
    id: uuid.UUID
    digit: int
    confidence: float
    unsure: bool
    alternatives: list[int]
    probabilities: list[float]
    upload_time: str
    model_version: str
    source: str
    corrected_label: int | None
    corrected_at: str | None
    stored: bool
    queued: bool
    image: str | None = Field(description="The 28x28 image the model saw, as a PNG data URL.")


class PageOut(Schema):
    results: list[PredictionOut]
    next: str | None = Field(description="The URL of the next page; null on the last.")


class BatchItemOut(Schema):
    file: str
    status: int
    error: str | None = None
    prediction: PredictionOut | None = None


class BatchOut(Schema):
    results: list[BatchItemOut]


class FeedbackIn(Schema):
    # Strict: JSON true, "7" or 7.0 are not digits (lax parsing would store true as 1).
    label: StrictInt = Field(ge=0, le=9, description="What the drawing really is, 0-9.")


class PageQuery(Schema):
    cursor: str | None = None
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class ErrorOut(Schema):
    error: str


ERRORS = dict.fromkeys((400, 401, 403, 404, 413, 415, 422, 429, 503), ErrorOut)

_IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "image": {"type": "string", "format": "binary"},
                        "id": {"type": "string", "format": "uuid"},
                    },
                    "required": ["image"],
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "image": {"type": "string", "description": "PNG data URL or base64"},
                        "id": {"type": "string", "format": "uuid"},
                    },
                    "required": ["image"],
                }
            },
        },
    }
}
_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "images": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "maxItems": history.MAX_BATCH_FILES,
                        }
                    },
                    "required": ["images"],
                }
            }
        },
    }
}


# --- Reading an image from the request -----------------------------------------------------


def _client_id(value: object) -> uuid.UUID | None:
    """A client may name its prediction (a UUID) so that a retry cannot store it twice."""
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise HttpError(400, "`id` must be a UUID.") from None


def _multipart_files(request: HttpRequest, field: str) -> list:
    if request.content_type != "multipart/form-data":
        raise HttpError(415, f"Send multipart/form-data with `{field}` files.")
    try:
        # Never request.body here: the CSRF check may already have read the stream
        # into request.POST/FILES, and the body cannot be read twice.
        return request.FILES.getlist(field)
    except MultiPartParserError as exc:
        raise HttpError(400, f"The multipart body could not be read: {exc}") from None


def _read_image(request: HttpRequest) -> tuple[bytes, str, uuid.UUID | None]:
    """The image bytes, how they came, and the client's id for the prediction if it sent one."""
    # Judged by the header, not by reading: the body may already be read into request.FILES.
    if (request.META.get("CONTENT_LENGTH") or "0") == "0":
        raise HttpError(400, "The request is empty: send an image.")
    if request.content_type == "multipart/form-data":
        uploads = _multipart_files(request, "image")
        if not uploads:
            raise HttpError(
                400,
                "Send the drawing as a file in a multipart field named `image`"
                + (" (it came as text)." if "image" in request.POST else "."),
            )
        return uploads[0].read(), "multipart", _client_id(request.POST.get("id"))
    if request.content_type != "application/json":
        raise HttpError(415, "Send multipart/form-data with an `image` file, or application/json.")
    try:
        body = request.body
    except RequestDataTooBig:
        raise HttpError(413, f"The request is larger than {MAX_BODY_BYTES // 1024} KB.") from None
    if not body:
        raise HttpError(400, "The request is empty: send an image.")
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise HttpError(400, "The body is not valid JSON.") from None
    if not isinstance(payload, dict) or "image" not in payload:
        raise HttpError(400, 'Send {"image": "<PNG data URL or base64>"}.')
    image = preprocessing.decode_data_url(payload["image"])
    return image, "json", _client_id(payload.get("id"))


# --- Operations ----------------------------------------------------------------------------


@api.post(
    "/predict",
    url_name="predict",
    throttle=[PredictionThrottle()],
    response={200: PredictionOut, **ERRORS},
    openapi_extra=_IMAGE_BODY,
    summary="Recognise one drawing and keep it in your history",
)
def predict(request: HttpRequest) -> HttpResponse:
    image, form, client_id = _read_image(request)
    if form == "multipart":
        source = "upload"
    else:
        source = "page" if request.auth_method == "session" else "api"
    result = prediction_create(user=request.user, image=image, source=source, client_id=client_id)
    response = JsonResponse(prediction_result_json(result))
    response["Server-Timing"] = ", ".join(
        f"{name};dur={ms:.3f}" for name, ms in result.timings.items()
    )
    return response


@api.post(
    "/predict/batch",
    url_name="predict-batch",
    throttle=[PredictionThrottle()],
    response={200: BatchOut, **ERRORS},
    openapi_extra=_BATCH_BODY,
    summary="Recognise several image files; each gets its own result and record",
)
def predict_batch(request: HttpRequest) -> HttpResponse:
    uploads = _multipart_files(request, "images")
    if not uploads:
        raise HttpError(
            400,
            "Send the images as files in a multipart field named `images`"
            + (" (they came as text)." if "images" in request.POST else "."),
        )
    if len(uploads) > history.MAX_BATCH_FILES:
        raise HttpError(413, f"At most {history.MAX_BATCH_FILES} files at once.")
    items = history.predictions_batch_create(
        user=request.user, files=[(upload.name, upload.read()) for upload in uploads]
    )
    return JsonResponse(
        {
            "results": [
                {
                    "file": item.name,
                    "status": item.status,
                    "error": item.error,
                    "prediction": (prediction_result_json(item.result) if item.result else None),
                }
                for item in items
            ]
        }
    )


@api.get(
    "/predictions",
    url_name="predictions",
    response={200: PageOut, **ERRORS},
    summary="Your predictions, newest first, a page at a time",
)
def predictions(request: HttpRequest, query: Query[PageQuery]) -> HttpResponse:
    page = history_page(
        user_id=request.user.pk,
        username=request.user.get_username(),
        cursor=query.cursor,
        limit=query.limit,
    )
    next_url = None
    if page.next_cursor:
        next_url = request.build_absolute_uri(
            f"{request.path}?{urlencode({'cursor': page.next_cursor, 'limit': query.limit})}"
        )
    return JsonResponse(
        {"results": [prediction_json(record) for record in page.records], "next": next_url}
    )


@api.get(
    "/predictions/export",
    url_name="predictions-export",
    # The 200 is described in openapi_extra (text/csv): listing it here too would put
    # two "200" keys in the JSON document.
    response=ERRORS,
    openapi_extra={
        "responses": {
            "200": {
                "description": "CSV, one line per prediction, newest first",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
    summary="Your whole history as CSV, streamed",
)
def predictions_export(request: HttpRequest) -> StreamingHttpResponse:
    return csv_response(request.user)


def csv_response(user) -> StreamingHttpResponse:
    response = StreamingHttpResponse(history.history_csv(user=user), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="mnistsite-history.csv"'
    return response


@api.get(
    "/predictions/{uuid:prediction_id}",
    url_name="prediction",
    response={200: PredictionOut, **ERRORS},
    summary="One of your predictions",
)
def prediction(request: HttpRequest, prediction_id: uuid.UUID) -> HttpResponse:
    record = history.prediction_get(user=request.user, prediction_id=prediction_id)
    return JsonResponse(prediction_json(record))


@api.delete(
    "/predictions/{uuid:prediction_id}",
    url_name="prediction-delete",
    response={204: None, **ERRORS},
    summary="Delete one of your predictions from every table",
)
def prediction_delete(request: HttpRequest, prediction_id: uuid.UUID) -> HttpResponse:
    history.prediction_delete(user=request.user, prediction_id=prediction_id)
    return HttpResponse(status=204)


@api.post(
    "/predictions/{uuid:prediction_id}/feedback",
    url_name="prediction-feedback",
    response={200: PredictionOut, **ERRORS},
    summary="Say what the drawing really was (the answer itself means it was right)",
)
def prediction_feedback(
    request: HttpRequest, prediction_id: uuid.UUID, feedback: FeedbackIn
) -> HttpResponse:
    record = history.prediction_feedback(
        user=request.user, prediction_id=prediction_id, label=feedback.label
    )
    return JsonResponse(prediction_json(record))


# --- URLs ------------------------------------------------------------------------------------


def _guarded(view: Callable, limit: int) -> Callable:
    """Refuse a body over ``limit`` before anything (the CSRF check included) reads it,
    and answer a wrong method in JSON."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if not declared.isdigit():
            return json_error(400, "Content-Length must be a number.")
        if int(declared) > limit:
            return json_error(413, f"The request is larger than {limit // 1024} KB.")
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            return json_error(405, f"Use {' or '.join(allowed.split(', '))} here.", Allow=allowed)
        return response

    return wrapper


def urls():
    patterns, app_name, namespace = api.urls
    guarded = [
        URLPattern(
            pattern.pattern,
            _guarded(pattern.callback, BODY_LIMITS.get(pattern.name, MAX_SMALL_BODY_BYTES)),
            pattern.default_args,
            pattern.name,
        )
        if isinstance(pattern, URLPattern)
        else pattern
        for pattern in patterns
    ]
    return [
        path("api/v1/", (guarded, app_name, namespace)),
        # Anything else under /api/ is a JSON 404 too, not the site's HTML page.
        re_path(r"^api/", _no_such_endpoint),
    ]


@csrf_exempt  # as the API's own views are: a POST to a wrong address is a 404, not a 403
def _no_such_endpoint(request: HttpRequest) -> JsonResponse:
    return json_error(
        404, f"No such API address: {request.path}. The API is described at /api/v1/docs."
    )
