"""The JSON API, version 1 (contract in README "API"). Views parse, call a service, answer."""

from __future__ import annotations

import json
import uuid

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError

from recognizer import preprocessing
from recognizer.http import api_view, json_error
from recognizer.inference import ModelUnavailable
from recognizer.presenters import prediction_json
from recognizer.records.writer import RecordNotKept
from recognizer.services import prediction_create

# A 280x280 canvas at 3x device pixels is well under 200 KB as PNG.
MAX_BODY_BYTES = 2 * 1024 * 1024

_IMAGE_ERROR_STATUS = {
    preprocessing.InvalidImage: 400,
    preprocessing.ImageTooLarge: 413,
    preprocessing.UnsupportedImage: 415,
    preprocessing.NothingDrawn: 422,
}


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _read_image(request: HttpRequest) -> tuple[bytes, str, uuid.UUID | None]:
    """The image bytes, how they came, and the client's id for the prediction if it sent one."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit():
        raise BadRequest(400, "Content-Length must be a number.")
    # Refuse before reading a byte of an oversized body.
    if int(declared) > MAX_BODY_BYTES:
        raise BadRequest(413, f"The request is larger than {MAX_BODY_BYTES // 1024} KB.")
    content_type = request.content_type or ""
    try:
        body = request.body
    except RequestDataTooBig:
        raise BadRequest(413, f"The request is larger than {MAX_BODY_BYTES // 1024} KB.") from None
    if not body:
        raise BadRequest(400, "The request is empty: send an image.")

    if content_type == "application/json":
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BadRequest(400, "The body is not valid JSON.") from None
        if not isinstance(payload, dict) or "image" not in payload:
            raise BadRequest(400, 'Send {"image": "<PNG data URL or base64>"}.')
        image = preprocessing.decode_data_url(payload["image"])
        return image, "json", _client_id(payload.get("id"))
    if content_type == "multipart/form-data":
        try:
            upload = request.FILES.get("image")
        except MultiPartParserError as exc:
            raise BadRequest(400, f"The multipart body could not be read: {exc}") from None
        if upload is None:
            raise BadRequest(400, "Send the drawing in a multipart field named `image`.")
        return upload.read(), "multipart", _client_id(request.POST.get("id"))
    raise BadRequest(415, "Send multipart/form-data with an `image` file, or application/json.")


def _client_id(value: object) -> uuid.UUID | None:
    """A client may name its prediction (a UUID) so that a retry cannot store it twice."""
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise BadRequest(400, "`id` must be a UUID.") from None


@api_view(methods=("POST",))
def predict(request: HttpRequest) -> JsonResponse:
    try:
        image, form, client_id = _read_image(request)
    except BadRequest as exc:
        return json_error(exc.status, exc.message)
    except preprocessing.ImageError as exc:
        return json_error(_IMAGE_ERROR_STATUS.get(type(exc), 400), str(exc))

    if form == "multipart":
        source = "upload"
    else:
        source = "page" if request.auth_method == "session" else "api"
    try:
        result = prediction_create(
            user=request.user, image=image, source=source, client_id=client_id
        )
    except preprocessing.ImageError as exc:
        return json_error(_IMAGE_ERROR_STATUS.get(type(exc), 400), str(exc))
    except (ModelUnavailable, RecordNotKept) as exc:
        return json_error(503, str(exc))
    response = JsonResponse(
        prediction_json(result.record, stored=result.stored, queued=result.queued)
    )
    response["Server-Timing"] = ", ".join(
        f"{name};dur={ms:.3f}" for name, ms in result.timings.items()
    )
    return response
