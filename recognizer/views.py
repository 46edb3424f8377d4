"""Pages and health checks. The JSON API lives in ``api.py``."""

from __future__ import annotations

import uuid
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from recognizer import history as history_services
from recognizer import preprocessing
from recognizer.api import csv_response
from recognizer.db import CASSANDRA_ERRORS, cassandra_ping
from recognizer.inference import ModelUnavailable, get_recognizer
from recognizer.presenters import prediction_json
from recognizer.records.outbox import OutboxError, outbox_status
from recognizer.records.selectors import InvalidCursor, history_page
from recognizer.records.stats import history_summary
from recognizer.services import now_utc


@login_required
@require_GET
def canvas(request: HttpRequest) -> HttpResponse:
    # The page scales a big drawing down to the ink that preprocessing uses before uploading.
    return render(request, "recognizer/canvas.html", {"upload_ink": preprocessing.UPLOAD_INK_SIDE})


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    cursor = request.GET.get("cursor") or None
    try:
        page = history_page(
            user_id=request.user.pk, username=request.user.get_username(), cursor=cursor
        )
        # The summary heads the first page only: later pages are for browsing.
        summary = None if cursor else history_summary(user_id=request.user.pk, now=now_utc())
    except InvalidCursor:
        return redirect("recognizer:history")
    except CASSANDRA_ERRORS:
        return render(request, "recognizer/history_unavailable.html", status=503)
    return render(
        request,
        "recognizer/history.html",
        {
            "rows": [prediction_json(record) for record in page.records],
            "summary": summary,
            "cursor": cursor or "",
            "next_url": _history_url(page.next_cursor) if page.next_cursor else None,
            "digits": range(10),
        },
    )


def _history_url(cursor: str | None) -> str:
    url = reverse("recognizer:history")
    return f"{url}?{urlencode({'cursor': cursor})}" if cursor else url


def _post_or_back_to_history(view):
    """A form's action: a GET (a reloaded or copied address) goes back to the history page
    instead of a blank 405."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return redirect("recognizer:history")
        return view(request, *args, **kwargs)

    return guarded


@login_required
@_post_or_back_to_history
def history_feedback(request: HttpRequest, prediction_id: uuid.UUID) -> HttpResponse:
    label = request.POST.get("label", "")
    if not (label.isdigit() and len(label) == 1):
        messages.error(request, "Choose a digit from 0 to 9.")
    else:
        try:
            history_services.prediction_feedback(
                user=request.user, prediction_id=prediction_id, label=int(label)
            )
        except history_services.PredictionNotFound:
            raise Http404("No such prediction.") from None
        messages.success(request, "Thanks: your answer is saved.")
    return redirect(_history_url(request.POST.get("cursor")))


@login_required
@_post_or_back_to_history
def history_delete(request: HttpRequest, prediction_id: uuid.UUID) -> HttpResponse:
    try:
        history_services.prediction_delete(user=request.user, prediction_id=prediction_id)
    except history_services.PredictionNotFound:
        raise Http404("No such prediction.") from None
    messages.success(request, "Deleted.")
    return redirect(_history_url(request.POST.get("cursor")))


@login_required
@require_GET
def history_export(request: HttpRequest) -> StreamingHttpResponse:
    return csv_response(request.user)


@login_required
@require_GET
def upload(request: HttpRequest) -> HttpResponse:
    return render(
        request, "recognizer/upload.html", {"max_files": history_services.MAX_BATCH_FILES}
    )


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Says nothing about Cassandra or the model."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: can this instance answer predictions and keep every record?

    200 "ok": the model is loaded and Cassandra answers, nothing waits in the outbox.
    200 "degraded": Cassandra is unreachable or records wait in the outbox, but the
    outbox takes them, so answers still go out and nothing is lost.
    503 "unavailable": no model, or neither Cassandra nor the outbox could keep a record.
    """
    body: dict[str, object] = {}
    model_ok = cassandra_ok = outbox_ok = True
    try:
        body["model"] = f"ok ({get_recognizer().model_version[:12]})"
    except ModelUnavailable as exc:
        body["model"] = str(exc)
        model_ok = False
    try:
        body["cassandra"] = f"ok (Cassandra {cassandra_ping()})"
    except CASSANDRA_ERRORS as exc:
        body["cassandra"] = f"unreachable: {exc}"
        cassandra_ok = False
    try:
        status = outbox_status()
        body["outbox"] = {
            "pending": status.pending,
            "oldest_pending_seconds": (
                None if status.oldest_age is None else round(status.oldest_age, 1)
            ),
            "failed": status.failed,
        }
        backlog = status.pending > 0
    except OutboxError as exc:
        body["outbox"] = {"error": str(exc)}
        outbox_ok = backlog = False
    if not model_ok or not (cassandra_ok or outbox_ok):
        state, code = "unavailable", 503
    elif not cassandra_ok or not outbox_ok or backlog:
        state, code = "degraded", 200
    else:
        state, code = "ok", 200
    return JsonResponse({"status": state, **body}, status=code)
